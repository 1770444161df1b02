"""Demo data for stage 4, driven by accounts/demo/activity.py through the real services:
call-backs in every outcome, closed jobs with feedback (by link and by phone), and one
demo customer's printable feedback link with a fixed code (shown in the README)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .enums import CallBackOutcome, CallBackStatus
from .models import CallBack, FeedbackRequest
from .services import callback_record, feedback_record_by_phone, feedback_submit

DEMO_FEEDBACK_CODE = "WATERDEMQ2"  # the README's printable link: /f/WATERDEMQ2/
NOTES = {
    CallBackOutcome.SATISFIED: ["Happy with the repair.", "All good, thanked the crew.", ""],
    CallBackOutcome.NOT_SATISFIED: ["Berm left muddy, wants it reinstated.", "Says the pressure is still low."],
    CallBackOutcome.WRONG_NUMBER: ["Number belongs to someone else."],
    CallBackOutcome.NO_ANSWER: ["", "Left a voicemail."],
}
COMMENTS = ["Quick and friendly crew.", "Took a while but sorted in the end.", "", "",
            "Would have liked a text when they were on the way."]


def _finish_plans() -> list[list[str]]:
    return [[CallBackOutcome.SATISFIED], [CallBackOutcome.NO_ANSWER, CallBackOutcome.SATISFIED],
            [CallBackOutcome.NOT_SATISFIED], [CallBackOutcome.WRONG_NUMBER],
            [CallBackOutcome.NO_ANSWER] * settings.CALLBACK_MAX_ATTEMPTS]


def make_callbacks(*, job, by, at_moment, rng: random.Random, finish: bool, now: datetime,
                   shown: list | None = None) -> datetime | None:
    """Ring each of the job's call-backs. ``finish``: until each is done or exhausted (the job is to be
    closed); otherwise leave some waiting, some after a first no-answer. Returns the last attempt's time.
    ``shown``: the finishing plans used so far; each is used once first, so every outcome is in the demo."""
    last = None
    for callback in CallBack.objects.filter(job=job, status=CallBackStatus.SCHEDULED).order_by("id"):
        roll = rng.random()
        plans = _finish_plans()
        if finish and shown is not None and len(shown) < len(plans):
            plan = plans[len(shown)]
            shown.append(plan)
        elif finish:
            plan = ([CallBackOutcome.SATISFIED] if roll < 0.6 else
                    [CallBackOutcome.NO_ANSWER, CallBackOutcome.SATISFIED] if roll < 0.75 else
                    [CallBackOutcome.NOT_SATISFIED] if roll < 0.85 else
                    [CallBackOutcome.WRONG_NUMBER] if roll < 0.92 else
                    [CallBackOutcome.NO_ANSWER] * settings.CALLBACK_MAX_ATTEMPTS)
        else:
            plan = [] if roll < 0.6 else [CallBackOutcome.NO_ANSWER]
        for outcome in plan:
            callback.refresh_from_db()
            moment = callback.due_at + timedelta(minutes=rng.randint(2, 50))
            if moment >= now:
                break
            with at_moment(moment):
                callback = callback_record(callback=callback, outcome=outcome, by=by, at=moment,
                                           note=rng.choice(NOTES[outcome])).callback
            last = moment
    return last


def give_feedback(*, job, staff, at_moment, rng: random.Random, now: datetime) -> None:
    """Some customers answer by the link, a few by phone; the rest are left to the reminder."""
    for request in FeedbackRequest.objects.filter(job=job, answered_at__isnull=True).select_related("enquiry"):
        roll = rng.random()
        moment = request.sent_at + timedelta(hours=rng.randint(2, 96))
        if moment >= now or roll > 0.55:
            continue
        overall = rng.choices([1, 2, 3, 4, 5], weights=[4, 6, 15, 40, 35])[0]
        answers = {"overall": overall, "timeliness": max(1, min(5, overall + rng.choice([-1, 0, 0, 1]))),
                   "communication": max(1, min(5, overall + rng.choice([-1, 0, 1]))),
                   "fixed": "yes" if rng.random() < 0.9 else "no", "comment": rng.choice(COMMENTS)}
        with at_moment(moment):
            if roll < 0.4:
                feedback_submit(request=request, answers=answers)
            else:
                feedback_record_by_phone(job=job, enquiry=request.enquiry, answers=answers, by=staff)


def printable_link() -> FeedbackRequest | None:
    """One unanswered request gets the README's fixed code and a fresh expiry, for a letter."""
    request = (FeedbackRequest.objects.filter(answered_at__isnull=True).select_related("job", "customer")
               .order_by("-sent_at", "-id").first())
    if request is None:
        return None
    FeedbackRequest.objects.filter(code=DEMO_FEEDBACK_CODE).exclude(pk=request.pk).delete()
    FeedbackRequest.objects.filter(pk=request.pk).update(
        code=DEMO_FEEDBACK_CODE, channel="letter",
        expires_at=timezone.now() + timedelta(days=settings.FEEDBACK_LINK_DAYS))
    request.refresh_from_db()
    return request
