from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared interface pieces: keyset paging, template filters. No models."""

    name = "common"
