"""Letters are rendered with no lock held, stored after the commit, once however many runs race,
and swept a bounded batch at a time."""

import threading
from datetime import timedelta
from pathlib import Path

import pytest
import weasyprint
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.db import OperationalError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from enquiries.enums import ContactChannel
from jobs import customer_updates, letters, services, tasks
from jobs.enums import JobStatus, LetterStatus
from jobs.models import Job, Letter
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory

REAL_RENDER = weasyprint.HTML.render


@pytest.fixture
def letter_job(council, suburb, contractor, casemanager_user, p2, main_leak, leak, monkeypatch):
    """A job with one customer who wants letters; the letters' tasks are lost (the sweep's case)."""
    monkeypatch.setattr(customer_updates, "_queue_letter", lambda letter_id: None)
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.ATTENDED, priority=p2, category=main_leak,
                     case_manager=casemanager_user, contractor=contractor,
                     attended_at=timezone.now() - timedelta(minutes=20))
    customer = CustomerFactory(council=council, name="Anna Tāmati", preferred_channel=ContactChannel.LETTER,
                               postal_address="12 Tory Street\nWellington 6011")
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status="linked", customer=customer,
                   received_at=job.notified_at)
    return job


def _pending_letters(job, by, n=1, *, age=timedelta(minutes=2)) -> list[Letter]:
    for i in range(n):
        customer_updates.customer_update_log(job=job, by=by, issue="Burst main", message=f"Update {i}.")
    Letter.objects.filter(job=job).update(created_at=timezone.now() - age)
    made = list(Letter.objects.filter(job=job).order_by("id"))
    assert {letter.status for letter in made} == {LetterStatus.PENDING}
    return made


def _stored_files() -> list[str]:
    from django.conf import settings

    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def _fast_pdf(*, letter, recipients):
    return f"%PDF-1.4 letter {letter.pk}\n".encode(), len(recipients)


# No lock while rendering ----------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_job_change_completes_while_its_letter_is_being_rendered(letter_job, casemanager_user, monkeypatch):
    letter = _pending_letters(letter_job, casemanager_user)[0]
    rendering, release = threading.Event(), threading.Event()

    def slow_render(html, *args, **kwargs):
        rendering.set()
        assert release.wait(timeout=30)
        return REAL_RENDER(html, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", slow_render)
    outcome = {}

    def render_in_a_worker():
        try:
            outcome["status"] = customer_updates.letter_render(letter_id=letter.pk)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc
        finally:
            connections.close_all()

    worker = threading.Thread(target=render_in_a_worker)
    worker.start()
    try:
        assert rendering.wait(timeout=30)
        customer = letter_job.enquiries.get().customer
        # A lock held by the render would make the case manager wait; here that is an error at once.
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        try:
            changed = services.job_set_site_contact(job=letter_job, by=casemanager_user, customer=customer,
                                                    access_notes="Gate code 1234",
                                                    expected_version=Job.objects.get(pk=letter_job.pk).version)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        assert changed.access_notes == "Gate code 1234"
        assert Letter.objects.get(pk=letter.pk).status == LetterStatus.PENDING  # still rendering meanwhile
    finally:
        release.set()
        worker.join(timeout=60)
    assert outcome == {"status": LetterStatus.READY}
    letter.refresh_from_db()
    assert letter.status == LetterStatus.READY and letter.file.open("rb").read(5) == b"%PDF-"


# Stored after the commit ----------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_commit_that_fails_after_rendering_leaves_no_file_and_the_letter_to_be_made(
        letter_job, casemanager_user, monkeypatch):
    letter = _pending_letters(letter_job, casemanager_user)[0]
    real_commit = BaseDatabaseWrapper.commit
    failures = []

    def commit_fails_once(self):
        if not failures:
            failures.append("commit")
            raise OperationalError("server closed the connection unexpectedly")
        return real_commit(self)

    monkeypatch.setattr(BaseDatabaseWrapper, "commit", commit_fails_once)
    with pytest.raises(OperationalError):
        customer_updates.letter_render(letter_id=letter.pk)
    assert failures == ["commit"]
    assert _stored_files() == []
    letter.refresh_from_db()
    assert letter.status == LetterStatus.PENDING and not letter.file and letter.attempts == 0

    assert customer_updates.letter_render(letter_id=letter.pk) == LetterStatus.READY  # the next run makes it
    letter.refresh_from_db()
    assert _stored_files() == [letter.file.name] and letter.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_letter_whose_file_cannot_be_written_goes_back_to_be_made(letter_job, casemanager_user, monkeypatch):
    letter = _pending_letters(letter_job, casemanager_user)[0]

    def disk_full(**kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(letters, "private_file_replace", disk_full)
    assert customer_updates.letter_render(letter_id=letter.pk) == LetterStatus.PENDING
    letter.refresh_from_db()
    assert (letter.status, letter.file.name, letter.pages, letter.rendered_at) == (LetterStatus.PENDING, "", 0, None)
    assert "No space left on device" in letter.last_error and letter.attempts == 1
    assert _stored_files() == []

    monkeypatch.undo()
    monkeypatch.setattr(customer_updates, "_queue_letter", lambda letter_id: None)
    assert customer_updates.letter_render(letter_id=letter.pk) == LetterStatus.READY
    letter.refresh_from_db()
    assert _stored_files() == [letter.file.name] and letter.pages == 1 and letter.attempts == 2


# Safe to run twice ----------------------------------------------------------------------------

@pytest.mark.parametrize("claim_lost", [False, True], ids=["claim-seen", "claim-lost-with-the-cache"])
@pytest.mark.django_db(transaction=True)
def test_a_letter_rendered_by_two_runs_at_once_is_stored_once(letter_job, casemanager_user, monkeypatch, claim_lost):
    """The task and the sweep (or two workers) on one letter: while the first renders, the second
    runs from start to end. It leaves the letter to the first, or, when it cannot see the first's
    claim, stores it, and the first then stores nothing."""
    letter = _pending_letters(letter_job, casemanager_user)[0]
    second = {}

    def render_with_a_second_run_meanwhile(html, *args, **kwargs):
        if not second:
            second["started"] = True
            if claim_lost:
                cache.delete(letters._claim_key(letter.pk))
            second["status"] = customer_updates.letter_render(letter_id=letter.pk)
        second.setdefault("renders", 0)
        second["renders"] += 1
        return REAL_RENDER(html, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", render_with_a_second_run_meanwhile)
    first = customer_updates.letter_render(letter_id=letter.pk)
    letter.refresh_from_db()
    assert (first, letter.status, letter.attempts, letter.pages) == (LetterStatus.READY, LetterStatus.READY, 1, 1)
    assert second["status"] == (LetterStatus.READY if claim_lost else LetterStatus.PENDING)
    assert second["renders"] == (2 if claim_lost else 1)
    assert _stored_files() == [letter.file.name]
    assert letter.file.open("rb").read(5) == b"%PDF-"
    # A third run, later, finds it made.
    assert customer_updates.letter_render(letter_id=letter.pk) == LetterStatus.READY
    assert _stored_files() == [letter.file.name] and Letter.objects.get(pk=letter.pk).attempts == 1


# The sweep ------------------------------------------------------------------------------------

def test_the_sweep_renders_a_batch_a_run_reports_progress_and_the_next_runs_finish_the_rest(
        letter_job, casemanager_user, monkeypatch, caplog):
    monkeypatch.setattr(letters, "_letter_pdf", _fast_pdf)
    made = _pending_letters(letter_job, casemanager_user, 12)
    caplog.set_level("INFO", logger="jobs.letters")

    runs = [letters.letters_sweep(batch=5) for _ in range(3)]
    assert [(run.rendered, run.remaining, run.stopped_early) for run in runs] == [
        (5, 7, False), (5, 2, False), (2, 0, False)]
    assert "letters sweep: 5 rendered, 0 failed, 0 made elsewhere, 7 remaining" in caplog.text
    assert set(Letter.objects.filter(pk__in=[m.pk for m in made]).values_list("status", flat=True)) == {
        LetterStatus.READY}
    # Oldest first, each once.
    assert list(Letter.objects.order_by("rendered_at", "id").values_list("pk", flat=True)) == [m.pk for m in made]
    assert tasks.letters_sweep() == {"rendered": 0, "failed": 0, "remaining": 0, "stopped_early": False}


def test_the_sweep_stops_at_its_time_budget_and_the_next_run_carries_on(letter_job, casemanager_user, monkeypatch,
                                                                        settings):
    """Each letter takes 10 s of a 30 s soft time limit: a run renders two (a third could
    overrun), reports the rest, and the next runs finish them."""
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 30
    now = [0.0]

    def ten_second_pdf(**kwargs):
        now[0] += 10
        return _fast_pdf(**kwargs)

    monkeypatch.setattr(letters, "_clock", lambda: now[0])
    monkeypatch.setattr(letters, "_letter_pdf", ten_second_pdf)
    _pending_letters(letter_job, casemanager_user, 5)

    runs = [letters.letters_sweep() for _ in range(3)]
    assert [(run.rendered, run.remaining, run.stopped_early) for run in runs] == [
        (2, 3, True), (2, 1, True), (1, 0, False)]


def test_the_sweep_stops_cleanly_at_the_soft_time_limit_and_counts_the_attempt(letter_job, casemanager_user,
                                                                              monkeypatch):
    made = _pending_letters(letter_job, casemanager_user, 3)

    def second_letter_overruns(*, letter, recipients):
        if letter.pk == made[1].pk:
            raise SoftTimeLimitExceeded()
        return _fast_pdf(letter=letter, recipients=recipients)

    monkeypatch.setattr(letters, "_letter_pdf", second_letter_overruns)
    progress = letters.letters_sweep()
    assert (progress.rendered, progress.remaining, progress.stopped_early) == (1, 2, True)
    overran = Letter.objects.get(pk=made[1].pk)
    assert overran.status == LetterStatus.PENDING and overran.attempts == 1
    assert "time limit" in overran.last_error
    assert Letter.objects.get(pk=made[2].pk).attempts == 0  # not started


def test_the_sweep_leaves_a_letter_another_worker_is_making(letter_job, casemanager_user, monkeypatch):
    monkeypatch.setattr(letters, "_letter_pdf", _fast_pdf)
    busy, free = _pending_letters(letter_job, casemanager_user, 2)
    assert letters._claim(busy.pk)  # its own task has it
    progress = letters.letters_sweep()
    assert (progress.rendered, progress.remaining) == (1, 1)
    assert Letter.objects.get(pk=busy.pk).attempts == 0 and Letter.objects.get(pk=free.pk).status == "ready"


@pytest.mark.django_db(transaction=True)
def test_the_sweep_stops_cleanly_when_the_time_limit_comes_while_a_file_is_written(letter_job, casemanager_user,
                                                                                  monkeypatch):
    monkeypatch.setattr(letters, "_letter_pdf", _fast_pdf)
    first, second = _pending_letters(letter_job, casemanager_user, 2)

    def out_of_time(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(letters, "private_file_replace", out_of_time)
    progress = letters.letters_sweep()
    assert (progress.rendered, progress.remaining, progress.stopped_early) == (0, 2, True)
    assert Letter.objects.get(pk=first.pk).status == LetterStatus.PENDING and not Letter.objects.get(pk=first.pk).file
    assert Letter.objects.get(pk=second.pk).attempts == 0 and _stored_files() == []
