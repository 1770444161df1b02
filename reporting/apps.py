from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Stage 5: dashboards, KPI measures and trend reports for analysts."""

    name = "reporting"
