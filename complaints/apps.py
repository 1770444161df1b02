from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    """Stage 3: complaints raised beside a job (record, escalate, agree next steps)."""

    name = "complaints"
