from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The lowest layer: references, one-time form submissions, the side-effect outbox, SMS backends,
    keyset paging, form fields and template filters."""

    name = "common"
