"""Stages 2-3 in the benchmark: the crew queue, the job page with 50 updates and 20 photos (same
query count as with none), one update queued for 500 customers, and a 500-page letter PDF.

Everything made here is made inside one transaction that is rolled back at the end (the photo
and letter files go to a temporary folder that is removed), so a rerun with --skip-seed
measures the same database.
"""

from __future__ import annotations

import io
import resource
import shutil
import tempfile
import time

from django.db import transaction
from django.test import TestCase
from django.test.utils import override_settings
from measure import Probe, Result, _client_for


def _photos(count: int):
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from jobs.photos import photos_check

    uploads = []
    for n in range(count):
        out = io.BytesIO()
        Image.new("RGB", (1600, 1200), (40 + n, 90, 140)).save(out, "JPEG", quality=80)
        uploads.append(SimpleUploadedFile(f"p{n}.jpg", out.getvalue(), "image/jpeg"))
    # A request carries at most PHOTO_MAX_FILES photos: a crew sends twenty in two goes.
    size = settings.PHOTO_MAX_FILES
    return [photo for start in range(0, len(uploads), size) for photo in photos_check(uploads[start:start + size])]


def _customers_on(job, n: int, *, channels: list[str]):
    """n more customers on the job, each with their own enquiry (bulk inserted: setting up, not measured)."""
    from django.utils import timezone

    from enquiries.models import Customer, Enquiry

    now = timezone.now()
    customers = Customer.objects.bulk_create([
        Customer(council_id=job.council_id, name=f"Bench Customer {i:04d}", phone=f"021 600 {i:04d}",
                 phone_digits=f"021600{i:04d}", email=f"bench{i}@example.org",
                 postal_address=f"{i + 1} Bench Street\nTe Aro\nWellington 6011",
                 preferred_channel=channels[i % len(channels)], created_at=now)
        for i in range(n)])
    enquiry = Enquiry.objects.filter(job=job).first()
    Enquiry.objects.bulk_create([
        Enquiry(reference=f"ENQ-BENCH-{job.pk % 1000:03d}{i:04d}"[:20], council_id=job.council_id, customer=c,
                street_address=job.street_address, suburb_id=job.suburb_id, service=job.service,
                issue_type_id=enquiry.issue_type_id, description="Bench caller", received_at=job.notified_at,
                logged_at=job.notified_at, logged_by_id=enquiry.logged_by_id, status="linked", job=job)
        for i, c in enumerate(customers)])
    return customers


def _job(*statuses: str, skip: set[int]):
    from jobs.models import Job

    # Without a complaint: a job with one shows its complaint's timeline too (three queries more,
    # whatever its length), and the two jobs measured here are compared for their query counts.
    job = (Job.objects.filter(status__in=statuses, enquiries__isnull=False, complaints__isnull=True)
           .exclude(pk__in=skip).select_related("suburb", "council", "priority").order_by("-id").first())
    if job is None:
        raise RuntimeError(f"no {' or '.join(statuses)} job with an enquiry to measure: seed more enquiries")
    skip.add(job.pk)
    return job


def _single(key: str, label: str, ms: float, target: float, note: str) -> Result:
    r = Result(key=key, label=label, user="casemanager", target_ms=target, prototype="", note=note)
    r.p50_ms = r.p95_ms = r.max_ms = ms
    r.status = 200
    return r


def run(*, warmup: int, requests: int, heavy: bool = True, log=print) -> tuple[list[Result], dict]:
    """The field work pages; with ``heavy`` also the 500-customer update and the 500-page letter PDF."""
    from accounts.models import User
    from enquiries.enums import ContactChannel
    from jobs import customer_updates
    from jobs.models import JobPhoto
    from jobs.photos import photos_save

    folder = tempfile.mkdtemp(prefix="bench-private-")
    results, flat = [], {}
    try:
        with override_settings(PRIVATE_MEDIA_ROOT=folder), transaction.atomic():
            manager = User.objects.get(username="casemanager")
            crew = _client_for("crew")
            cm = _client_for("casemanager")
            used: set[int] = set()
            plain, loaded = _job("in_repair", skip=used), _job("in_repair", skip=used)
            for i in range(50):
                customer_updates.customer_update_log(job=loaded, by=manager, issue="Burst main", channel="phone",
                                                     message=f"Update {i}: the crew is on site.")
            photos_save(job=loaded, photos=_photos(20), stage="repair", by=manager)
            street = plain.street_address.split(" ", 1)[-1]
            specs = [
                ("crew_queue", "crew queue (to do)", crew, "/jobs/crew/", 30),
                ("crew_queue_all", "crew queue (all)", crew, "/jobs/crew/?show=all", 30),
                ("crew_search", f"crew queue search “{street}”", crew, f"/jobs/crew/?q={street}", 30),
                ("triage_updates", "triage updates owed", cm, "/jobs/triage/?tab=updates", 30),
                ("job_no_updates", "job page, no updates or photos", cm, f"/jobs/{plain.reference}/", 30),
                ("job_50_updates", "job page, 50 updates + 20 photos", cm, f"/jobs/{loaded.reference}/", 30),
            ]
            probes = []
            for key, label, client, url, target in specs:
                result = Result(key=key, label=label, user="crew" if client is crew else "casemanager",
                                target_ms=target, prototype="", url=url)
                probes.append(Probe(result, lambda c=client, u=url: c.get(u).status_code))
            for probe in probes:
                for _ in range(warmup):
                    probe.call()
                probe.capture()
            for _ in range(requests):
                for probe in probes:
                    probe.once()
            results += [probe.finish() for probe in probes]
            none, fifty = results[-2], results[-1]
            flat["job page with updates and photos"] = (
                none.queries == fifty.queries,
                f"{none.queries} q with none, {fifty.queries} q with 50 updates and "
                f"{JobPhoto.objects.filter(job=loaded).count()} photos")

            if not heavy:
                transaction.set_rollback(True)
                return results, flat
            # One update to 500 customers by their own channels (e-mail and SMS queued in the outbox).
            working = ("dispatched", "attended", "assessed", "in_repair", "completed")
            bulk = _job(*working, skip=used)
            _customers_on(bulk, 500, channels=[ContactChannel.EMAIL, ContactChannel.SMS, ContactChannel.EMAIL,
                                               ContactChannel.PHONE, ContactChannel.LETTER])
            started = time.perf_counter()
            with transaction.atomic():
                update = customer_updates.customer_update_log(job=bulk, by=manager, issue="Burst main",
                                                              message="Water is off until 4 pm.")
            ms = (time.perf_counter() - started) * 1000
            results.append(_single("bulk_update", "queue one update for 500 customers", ms, 2000,
                                   f"{update.recipient_count} recipients"))

            # A 500-page letter PDF.
            letters = _job(*working, skip=used)
            posted = _customers_on(letters, 500, channels=[ContactChannel.LETTER])
            # To the 500 with a postal address: a letter to the job's own callers (none) is refused.
            update = customer_updates.customer_update_log(job=letters, by=manager, issue="Burst main",
                                                          channel=ContactChannel.LETTER, customers=posted,
                                                          message="Water is off until 4 pm.")
            letter = update.letter
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            # The file is written once the letter's commit is done; here (nothing commits) at once.
            with TestCase.captureOnCommitCallbacks(execute=True):
                status = customer_updates.letter_render(letter_id=letter.pk)
            ms = (time.perf_counter() - started) * 1000
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            letter.refresh_from_db()
            size = letter.file.size if letter.file else 0
            results.append(_single(
                "letter_pdf", "letter PDF, 500 pages", ms, 60000,
                f"{status}, {letter.pages} pages, {size / 1e6:.1f} MB; peak RSS {rss_after / 1024:.0f} MB "
                f"(+{max(0, rss_after - rss_before) / 1024:.0f} MB while rendering)"))
            transaction.set_rollback(True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for r in results:
        log(f"  {r.label:<40} p50 {r.p50_ms:9.2f} ms  p95 {r.p95_ms:9.2f} ms  {r.queries:3d} queries  {r.note}")
    return results, flat


__all__ = ["run"]
