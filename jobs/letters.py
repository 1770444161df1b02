"""Customer-update letters: one PDF per update sent by letter, a page per customer.

The ``Letter`` row is written in the update's transaction (``customer_updates``); its task
renders it after the commit, and a sweep every minute renders what the broker missed.

Rendering a long letter takes WeasyPrint seconds, so nothing is locked while it runs:

1. read the letter, its job and its recipients (no transaction, no lock);
2. render the PDF, outside any transaction;
3. in a short transaction, lock the letter's own row (``of=("self",)``: never the job,
   council or update rows the read joins, which case managers lock to save a job) and, if
   it is still pending, record it ready under its one fixed file name;
4. after that commit, write the file at that name. A commit that fails leaves no file; a
   write that fails sends the letter back to be made.

Safe to run twice: a letter already made is left alone; a letter another worker is making
(a claim in the cache) is left to it; and when two runs render at once all the same (the
claim lost with the cache), the first to record it wins and the other stores nothing.
The one window left: a worker killed between the commit and the write leaves a ready
letter without its file, which the download answers with "File missing" (404).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from enquiries.enums import ContactChannel

from .enums import LetterStatus
from .models import Letter
from .storage import private_file_replace

logger = logging.getLogger(__name__)

LETTER_MAX_ATTEMPTS = 3
# Letters whose task may still be on its way are the task's; the sweep takes older ones.
SWEEP_AFTER = timedelta(minutes=1)
LETTERS_SWEEP_BATCH = 50
# The sweep starts another letter only while this share of the task's soft time limit is left
# after the slowest letter so far: the rest is the margin for the letter in hand.
LETTERS_SWEEP_SHARE = 0.8

_clock = time.monotonic  # a test moves time on without waiting


@dataclass(frozen=True)
class SweepProgress:
    rendered: int
    failed: int
    remaining: int
    stopped_early: bool


def letter_render(*, letter_id: int) -> str:
    """Render one letter and store it once. Returns its status: ready, failed, or pending
    (being made by another worker, or to be tried again)."""
    return _render(letter_id)[1]


def letters_sweep(*, batch: int = LETTERS_SWEEP_BATCH, budget_seconds: float | None = None) -> SweepProgress:
    """Render the letters whose task the broker missed, oldest first: at most ``batch`` a run,
    and none started once the time budget (a share of the task's soft time limit) would be
    spent; the next run carries on. Logs and returns what it did and how many are left."""
    budget = settings.CELERY_TASK_SOFT_TIME_LIMIT * LETTERS_SWEEP_SHARE if budget_seconds is None else budget_seconds
    started = _clock()
    outcomes = {"rendered": 0, "failed": 0, "made elsewhere": 0}
    slowest = 0.0
    stopped_early = False
    for tried, letter_id in enumerate(_letters_due().values_list("pk", flat=True)[:batch]):
        # The first letter is always tried: a letter slower than the budget still gets its attempts.
        if tried and _clock() - started + slowest > budget:
            stopped_early = True
            break
        began = _clock()
        try:
            outcome, _ = _render(letter_id)
        except SoftTimeLimitExceeded:
            stopped_early = True
            break
        slowest = max(slowest, _clock() - began)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    progress = SweepProgress(rendered=outcomes["rendered"], failed=outcomes["failed"],
                             remaining=_letters_due().count(), stopped_early=stopped_early)
    logger.info("letters sweep: %s rendered, %s failed, %s made elsewhere, %s remaining%s (%.1f s)",
                progress.rendered, progress.failed, outcomes["made elsewhere"], progress.remaining,
                "; stopped for time, the next run carries on" if stopped_early else "", _clock() - started)
    return progress


def _letters_due() -> QuerySet[Letter]:
    return Letter.objects.filter(status=LetterStatus.PENDING,
                                 created_at__lt=timezone.now() - SWEEP_AFTER).order_by("created_at", "id")


def _render(letter_id: int) -> tuple[str, str]:
    """(what this run did, the letter's status)."""
    letter = Letter.objects.select_related("job", "job__council", "job__suburb", "update").get(pk=letter_id)
    if letter.status != LetterStatus.PENDING:
        return "made elsewhere", letter.status
    if not _claim(letter_id):
        return "made elsewhere", LetterStatus.PENDING
    try:
        recipients = list(letter.update.recipients.filter(channel=ContactChannel.LETTER)
                          .select_related("customer").order_by("customer__name", "id"))
        try:
            pdf, pages = _letter_pdf(letter=letter, recipients=recipients)
        except SoftTimeLimitExceeded:
            # Counted, so a letter too long for the time limit ends as failed rather than tried for ever.
            _record_failure(letter_id, "SoftTimeLimitExceeded: the letter took longer than the task time limit")
            raise
        except Exception as exc:
            logger.exception("letter %s failed to render", letter_id)
            return "failed", _record_failure(letter_id, f"{type(exc).__name__}: {exc}")
        name = letter.file.field.generate_filename(letter, f"{letter.job.reference}-update-{letter.update_id}.pdf")
        return _store(letter_id, name=name, pdf=pdf, pages=pages)
    finally:
        _release(letter_id)


def _letter_pdf(*, letter: Letter, recipients: list) -> tuple[bytes, int]:
    """The PDF and its page count."""
    from common.pdf import pdf_html  # WeasyPrint loads only where a letter is drawn

    html = render_to_string("jobs/letter.html", {
        "letter": letter, "job": letter.job, "update": letter.update, "recipients": recipients,
        "sender": settings.LETTER_FROM, "contact": settings.LETTER_CONTACT,
    })
    document = pdf_html(html).render()
    return document.write_pdf(), len(document.pages)


def _locked(letter_id: int) -> Letter:
    return Letter.objects.select_for_update(of=("self",)).get(pk=letter_id)


def _store(letter_id: int, *, name: str, pdf: bytes, pages: int) -> tuple[str, str]:
    with transaction.atomic():
        letter = _locked(letter_id)
        if letter.status != LetterStatus.PENDING:
            return "made elsewhere", letter.status  # another run recorded it first: this PDF is dropped
        letter.file.name = name
        letter.pages = pages
        letter.status = LetterStatus.READY
        letter.rendered_at = timezone.now()
        letter.attempts += 1
        letter.save(update_fields=["file", "pages", "status", "rendered_at", "attempts"])
        # Written by the commit's callback, so the caller hears of a write that failed, when the
        # commit is this block's own (inside a caller's transaction it comes at that commit).
        written = {"status": LetterStatus.READY}
        transaction.on_commit(partial(_write, letter_id, name, pdf, written))
    return ("rendered" if written["status"] == LetterStatus.READY else "failed"), written["status"]


def _write(letter_id: int, name: str, pdf: bytes, written: dict) -> None:
    storage = Letter._meta.get_field("file").storage
    try:
        private_file_replace(storage=storage, name=name, content=pdf)
    except Exception as exc:  # a full or read-only disk: the letter goes back to be made
        logger.exception("letter %s: the PDF could not be written", letter_id)
        written["status"] = _unstore(letter_id, name, f"{type(exc).__name__}: {exc}")
        if isinstance(exc, SoftTimeLimitExceeded):
            raise  # the run is out of time: the sweep stops here


def _unstore(letter_id: int, name: str, error: str) -> str:
    with transaction.atomic():
        letter = _locked(letter_id)
        if letter.status != LetterStatus.READY or letter.file.name != name:
            return letter.status
        letter.file.name = ""
        letter.pages = 0
        letter.rendered_at = None
        letter.last_error = error[:2000]
        letter.status = LetterStatus.FAILED if letter.attempts >= LETTER_MAX_ATTEMPTS else LetterStatus.PENDING
        letter.save(update_fields=["file", "pages", "rendered_at", "last_error", "status"])
    return letter.status


def _record_failure(letter_id: int, error: str) -> str:
    with transaction.atomic():
        letter = _locked(letter_id)
        if letter.status != LetterStatus.PENDING:
            return letter.status
        letter.attempts += 1
        letter.last_error = error[:2000]
        if letter.attempts >= LETTER_MAX_ATTEMPTS:
            letter.status = LetterStatus.FAILED
        letter.save(update_fields=["attempts", "last_error", "status"])
    return letter.status


def _claim_key(letter_id: int) -> str:
    return f"letter-render:{letter_id}"


def _claim(letter_id: int) -> bool:
    """Whether this run may make the letter: no other run is seen making it.

    A claim held past the hard time limit belongs to a worker that was killed, so it lapses
    then. The cache fails open (``add`` answers False when Redis is down), so only a claim
    that can be read stops this run; with none, two runs may render and the first to record
    the letter keeps it.
    """
    key = _claim_key(letter_id)
    return cache.add(key, 1, timeout=settings.CELERY_TASK_TIME_LIMIT) or cache.get(key) is None


def _release(letter_id: int) -> None:
    cache.delete(_claim_key(letter_id))
