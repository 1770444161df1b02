"""Private files (crew photos, letters): kept outside any public URL and served only through
views that apply the job's scoping. The location is read from the settings on every use, so
a test (or a deployment) can point it elsewhere."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise NotImplementedError("Private files have no URL: serve them through a scoped view.")
