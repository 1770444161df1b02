from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The lowest layer: the side-effect outbox, SMS backends, keyset paging, template filters, path
    converters, the check that refuses NUL and over-long input."""

    name = "common"

    def ready(self):
        from .converters import register

        register()
