from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    """Stage 3: complaints raised beside a job (record, escalate, agree next steps)."""

    name = "complaints"

    def ready(self):
        from common import extensions

        from . import extensions as contributions

        extensions.register("job_page", contributions.job_page)
        extensions.register("enquiry_page", contributions.enquiry_page)
