from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Organisations and people"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import session_times_start

        user_logged_in.connect(session_times_start, dispatch_uid="accounts.session_times_start")
