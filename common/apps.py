from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The ground layer: references, one-time form submissions, keyset paging, form fields and template filters."""

    name = "common"
