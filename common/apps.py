from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The lowest layer: references, one-time form submissions, the side-effect outbox, SMS backends,
    keyset paging, form fields, template filters, path converters, the check that refuses NUL and
    over-long input."""

    name = "common"

    def ready(self):
        from .converters import register

        register()
