from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Stage 4: call-backs once the work is done, closing the call ticket, customer feedback."""

    name = "feedback"

    def ready(self):
        # jobs may not import feedback: feedback plugs its rules and reactions into jobs.
        from jobs import states

        from . import extensions, services

        states.register_close_blocker(services.callback_blockers)
        states.register_hook("completed", services.callbacks_schedule)
        states.register_hook("reopened", services.callbacks_supersede)
        states.register_hook("closed", services.feedback_requests_send)
        extensions.register()
