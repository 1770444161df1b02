"""One-time form submissions: a create form submitted twice creates once.

A double click or a browser retry sends the same POST twice; each would create an
enquiry (a reference, an e-mail, a complaint in the measures). Every create form
therefore carries a one-time token, issued when the form is shown, and the view claims
it in the same transaction that creates. The second POST with that token, whether it
arrives while the first is still running or long after, creates nothing and is sent to
the first one's result.

How to use it in a new create form (crew forms, complaints, ...)::

    # forms.py
    class LogComplaintForm(OneTimeSubmitMixin, forms.Form):      # common.forms
        ...
    form = LogComplaintForm(request.POST or None, submitter=request.user)
    # the template renders {{ form.submission_token }} inside the <form>
    # (crispy's {% crispy form %} and {{ form|crispy }} render it already)

    # views.py
    try:
        with submitted_once(token=form.submission_token, user=request.user) as submission:
            complaint = services.complaint_log(...)
            submission.record(url=complaint_url, label=complaint.reference)
    except AlreadySubmitted as repeat:
        messages.info(request, repeat.message)
        return redirect(repeat.url)

The token is signed with the user's id and the time it was issued: another user's
token, a tampered one or one older than ``SUBMISSION_TOKEN_MAX_AGE_HOURS`` is refused
with a message (and the form gets a fresh token, so the user can submit again).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import FormSubmission

SALT = "common.submissions"
TOKEN_FIELD = "submission_token"


class AlreadySubmitted(Exception):
    """This form was submitted before: nothing was done now; the earlier result is at ``url``."""

    def __init__(self, submission: FormSubmission):
        self.submission = submission
        self.url = submission.result_url
        self.message = f"This was already recorded: {submission.result_label}."
        super().__init__(self.message)


def _max_age() -> timedelta:
    return timedelta(hours=settings.SUBMISSION_TOKEN_MAX_AGE_HOURS)


def submission_token_new(*, user) -> str:
    """A fresh token for one showing of a create form to ``user``."""
    return signing.dumps([user.pk, secrets.token_urlsafe(16)], salt=SALT, compress=False)


def submission_token_check(*, token: str, user) -> str:
    """The token's one-time key, or ValidationError when it is not this user's, tampered or too old."""
    try:
        user_id, key = signing.loads(token or "", salt=SALT, max_age=_max_age())
    except signing.SignatureExpired as exc:
        raise ValidationError(
            f"This form was opened more than {settings.SUBMISSION_TOKEN_MAX_AGE_HOURS} hours ago. "
            "Check the details and submit again.", code="expired",
        ) from exc
    except (signing.BadSignature, TypeError, ValueError) as exc:
        raise ValidationError("This form could not be checked. Check the details and submit again.",
                              code="invalid") from exc
    if user_id != user.pk:
        raise ValidationError("This form was opened by another user. Check the details and submit again.",
                              code="other_user")
    return key


class Claim:
    """A claimed token inside the creating transaction; ``record`` says where the result is."""

    def __init__(self, submission: FormSubmission):
        self.submission = submission
        self.recorded = False

    def record(self, *, url: str, label: str) -> None:
        self.submission.result_url = url
        self.submission.result_label = label
        self.submission.save(update_fields=["result_url", "result_label"])
        self.recorded = True


def submission_claim(*, token: str, user) -> Claim:
    """Claim ``token`` for ``user``. Call inside the transaction that creates.

    The unique key makes a concurrent second claim wait until the first transaction
    ends: if it committed, the second raises AlreadySubmitted with its result; if it
    rolled back (the form was refused), the second claims the token afresh.
    """
    key = submission_token_check(token=token, user=user)
    try:
        with transaction.atomic():
            submission = FormSubmission.objects.create(token=key, user=user, result_url="", result_label="")
    except IntegrityError:
        earlier = FormSubmission.objects.get(token=key)
        if earlier.user_id != user.pk:
            raise ValidationError("This form was opened by another user.", code="other_user") from None
        raise AlreadySubmitted(earlier) from None
    return Claim(submission)


@contextmanager
def submitted_once(*, token: str, user) -> Iterator[Claim]:
    """One transaction: claim the token, run the body (which must ``record`` its result), commit.

    Raises AlreadySubmitted before the body runs when the token was used already, and
    ValidationError when the token is not valid for this user.
    """
    with transaction.atomic():
        claim = submission_claim(token=token, user=user)
        yield claim
        if not claim.recorded:
            raise RuntimeError("submitted_once: the body must call claim.record(url=..., label=...)")


def submission_previous(*, token: str, user) -> FormSubmission | None:
    """The earlier submission with this token, if any (a read for views that redirect early)."""
    try:
        key = submission_token_check(token=token, user=user)
    except ValidationError:
        return None
    return FormSubmission.objects.filter(token=key, user=user).first()


def submission_prune(*, now: datetime | None = None) -> int:
    """Delete claims older than the token lifetime: their tokens are refused as expired anyway."""
    cutoff = (now or timezone.now()) - _max_age()
    deleted, _ = FormSubmission.objects.filter(submitted_at__lt=cutoff).delete()
    return deleted
