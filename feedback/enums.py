from django.db import models


class CallBackStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DONE = "done", "Done"
    EXHAUSTED = "exhausted", "No answer, attempts used up"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    SUPERSEDED = "superseded", "Superseded (job reopened)"


# A call-back in one of these no longer holds the call ticket open.
CALLBACK_FINISHED = (CallBackStatus.DONE, CallBackStatus.EXHAUSTED, CallBackStatus.WRONG_NUMBER,
                     CallBackStatus.SUPERSEDED)


class CallBackOutcome(models.TextChoices):
    SATISFIED = "satisfied", "Reached: satisfied"
    NOT_SATISFIED = "not_satisfied", "Reached: not satisfied"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class FeedbackChannel(models.TextChoices):
    """How the feedback request reaches the customer."""

    EMAIL = "email", "E-mail with a link"
    SMS = "sms", "SMS with a link"
    LETTER = "letter", "Letter with a short URL and code"
    PHONE = "phone", "By phone (on the call-back)"


class FeedbackSource(models.TextChoices):
    """How the answers came in."""

    LINK = "link", "Feedback link"
    PHONE = "phone", "By phone, recorded by staff"


class FixedAnswer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
