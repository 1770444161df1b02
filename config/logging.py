import logging


class ForbiddenWithoutTraceback(logging.Filter):
    """A 403 is an expected answer (a role asking for another's page): one line in the log, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
