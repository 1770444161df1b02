from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared interface pieces: keyset paging, template filters, path converters, input checks."""

    name = "common"

    def ready(self):
        from .converters import register

        register()
