from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The lowest layer: references, one-time form submissions, the side-effect outbox, SMS backends,
    keyset paging, form fields, template filters, path converters, the check that refuses NUL and
    over-long input."""

    name = "common"

    def ready(self):
        from django.core.signals import request_finished

        from .converters import register
        from .db import session_time_zone_check

        register()
        request_finished.connect(session_time_zone_check, dispatch_uid="common.session_time_zone_check")
