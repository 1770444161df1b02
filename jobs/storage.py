"""Private files (crew photos, letters): kept outside any public URL and served only through
views that apply the job's scoping. The location is read from the settings on every use, so
a test (or a deployment) can point it elsewhere."""

import contextlib
import os
import tempfile

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


def private_file_replace(*, storage: FileSystemStorage, name: str, content: bytes) -> None:
    """Write ``content`` at exactly ``name``, replacing whatever is there.

    ``Storage.save`` never overwrites: a second save of the same name (a retry, a racing
    worker) lands beside the first under a made-up name that no row points to. Here the bytes
    go into a hidden file in the same folder, which is then renamed over the name in one step,
    so a reader (the download view) sees the old file or the new one, never half of one.
    """
    path = storage.path(name)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file readable by its owner only; files saved the usual way get the storage's mode.
        os.chmod(partial, storage.file_permissions_mode or 0o644)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise
