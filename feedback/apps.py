from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Stage 4: call-backs and customer feedback once a call ticket is closed."""

    name = "feedback"
