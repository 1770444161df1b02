from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The lowest layer: the side-effect outbox, SMS backends, keyset paging, template filters."""

    name = "common"
