from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    """Stage 3: complaints raised beside a job (record, escalate, agree next steps)."""

    name = "complaints"

    def ready(self):
        from common import extensions
        from jobs import states

        from . import extensions as contributions
        from .close_blocker import open_complaints

        extensions.register("job_page", contributions.job_page)
        extensions.register("enquiry_page", contributions.enquiry_page)
        extensions.register("customer_page", contributions.customer_page)
        # An open complaint about a job holds its call ticket open (a case manager may close over it).
        states.register_close_blocker(open_complaints)
