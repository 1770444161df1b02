"""Writes for reporting: asking for a report, building it, scheduling the periodic ones, and
publishing a period (the fifth stage of the journey)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts import permissions
from common.references import reference_next
from enquiries.enums import Service
from jobs.enums import JobStatus
from jobs.models import Job

from .enums import ReportKind, ReportStatus
from .measures import councils, dia_measures
from .method import method_sections
from .models import Report, ReportSubscription
from .periods import Period, last_complete
from .selectors import Scope, measures_as_dict, report_content

logger = logging.getLogger(__name__)


def _check_scope(by, council) -> None:
    if not permissions.is_system(by):
        if not permissions.may_generate_report(by):
            raise PermissionDenied
        if council is None and not permissions.sees_all_councils(by):
            raise PermissionDenied
        if council is not None and not permissions.council_in_scope(by, council.pk):
            raise PermissionDenied


def _valid_services(services) -> list[str]:
    services = [s for s in Service.values if s in set(services or [])]
    if not services:
        raise ValidationError({"services": "Choose at least one service."})
    return services


def report_request(*, council, services, period: Period, by, kind: str = ReportKind.ON_DEMAND) -> Report:
    """'Generate report': a report row now, built by a task on the reports queue after commit."""
    _check_scope(by, council)
    services = _valid_services(services)
    with transaction.atomic():
        report = Report.objects.create(
            reference=reference_next(prefix="RPT"), kind=kind, council=council, services=services,
            period_key=period.key, requested_by=permissions.actor_user(by), progress_note="Waiting for a worker",
        )
        transaction.on_commit(lambda: _queue_build(report.pk))
    return report


def _queue_build(report_id: int) -> None:
    from .tasks import report_build

    report_build.delay(report_id)


def _progress(report: Report, percent: int, note: str) -> None:
    # Its own small write, outside any transaction, so the polling page sees it at once.
    Report.objects.filter(pk=report.pk).update(progress=percent, progress_note=note)


def report_build(*, report_id: int) -> Report | None:
    """Build the PDF. Safe to run twice: a finished report is left as it is."""
    claimed = Report.objects.filter(pk=report_id, status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING]).update(
        status=ReportStatus.RUNNING, started_at=timezone.now(), progress=5, progress_note="Reading the jobs")
    if not claimed:
        return None
    report = Report.objects.select_related("council", "requested_by").get(pk=report_id)
    try:
        scope = Scope(council_id=report.council_id, services=report.services, period=report.period)
        content = _content_for_report(scope)
        _progress(report, 50, "Drawing the charts")
        html = render_to_string("reporting/report_pdf.html", {**content, "report": report,
                                                               "method": method_sections()})
        _progress(report, 70, "Laying out the PDF")
        pdf = pdf_from_html(html)
        figures = measures_as_dict([block["measures"] for block in content["measures"]])
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report_id)
            if report.file:
                report.file.delete(save=False)
            report.file.save(f"{report.reference}.pdf", ContentFile(pdf), save=False)
            report.figures = figures
            report.status = ReportStatus.DONE
            report.progress = 100
            report.progress_note = "Ready"
            report.finished_at = timezone.now()
            report.save()
            if report.kind in (ReportKind.MONTHLY, ReportKind.ANNUAL):
                _notify_subscribers(report)
    except Exception as exc:
        logger.exception("Report %s failed", report.reference)
        Report.objects.filter(pk=report_id).update(status=ReportStatus.FAILED, error=str(exc)[:2000],
                                                   progress_note="Failed", finished_at=timezone.now())
        raise
    return report


def _content_for_report(scope: Scope) -> dict:
    """A fresh dashboard snapshot of the same scope and period if there is one (figures at most
    ``REPORTING_SNAPSHOT_MINUTES`` old, as the dashboard shows them), else computed now."""
    from .snapshots import content_back, snapshot_fresh

    snapshot = snapshot_fresh(scope=scope)
    return content_back(snapshot.content, scope=scope) if snapshot else report_content(scope=scope)


def pdf_from_html(html: str) -> bytes:
    from common.pdf import pdf_html  # WeasyPrint loads only where a report is drawn

    return pdf_html(html).write_pdf()  # fetches only the app's own files (common.pdf)


def _notify_subscribers(report: Report) -> None:
    """E-mail the link to each subscribed analyst (an outbox row in the same transaction)."""
    link = settings.SITE_URL.rstrip("/") + reverse("reporting:report-detail", args=[report.reference])
    subscribers = ReportSubscription.objects.select_related("user").filter(user__is_active=True).exclude(
        user__email="")
    for subscription in subscribers:
        if subscription.council_id not in (None, report.council_id):
            continue
        if not permissions.may_view_reports(subscription.user):
            continue
        _send(recipient=subscription.user.email, subject=f"{report.get_kind_display()}: {report.title}",
              body=f"The {report.get_kind_display().lower()} {report.reference} for {report.title} is ready:\n"
                   f"{link}\n",
              key=f"report-ready-{report.reference}-{subscription.user_id}", about=report)


def _send(*, recipient: str, subject: str, body: str, key: str, about) -> None:
    try:
        from common.outbox import outbox_add
    except ImportError:  # the outbox (issue 7) not installed: send after commit instead
        from django.core.mail import send_mail

        transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))
        return
    outbox_add(channel="email", recipient=recipient, subject=subject, body=body, key=key, about=about)


def reports_schedule(*, kind: str, now=None) -> list[Report]:
    """The periodic reports (run by Celery beat): the last complete month for each council, or
    the last financial year for each council. Twice for the same period: nothing new."""
    period = last_complete("month" if kind == ReportKind.MONTHLY else "year", now)
    made = []
    for council in councils():
        exists = Report.objects.filter(kind=kind, council=council, period_key=period.key).exists()
        if not exists:
            made.append(report_request(council=council, services=Service.values, period=period,
                                       by=permissions.SYSTEM, kind=kind))
    return made


# Publishing a period ---------------------------------------------------------------------

def period_publish(*, council, service: str, period: Period, by) -> Report:
    """Publish the period's measures: freeze the figures as published, and move the period's
    closed jobs to 'reported' in one bulk transition, logged on each job's timeline with the
    publication's reference. A reported job changes only after 'Reopen'."""
    if not permissions.is_system(by) and not permissions.may_publish_period(by):
        raise PermissionDenied
    _check_scope(by, council)
    if council is None:
        raise ValidationError({"council": "Publish one council's figures at a time."})
    service = _valid_services([service])[0]
    now = timezone.now()
    if period.end > now:
        raise ValidationError({"period": f"{period.label[0].upper()}{period.label[1:]} has not ended yet."})
    for attempt in range(_PUBLISH_ATTEMPTS):
        try:
            return _publish(council=council, service=service, period=period, by=by, now=now)
        except OperationalError as exc:
            # Another transaction changed one of the period's closed jobs after this one's snapshot
            # (PostgreSQL: could not serialize access): publish again from a fresh snapshot.
            if getattr(exc.__cause__, "sqlstate", None) != "40001" or attempt == _PUBLISH_ATTEMPTS - 1:
                raise ValidationError({"period": "The period's jobs kept changing while it was being published: "
                                                 "try again in a moment."}) from exc
    raise AssertionError("unreachable")


_PUBLISH_ATTEMPTS = 3


def _snapshot_for_the_transaction() -> bool:
    """On PostgreSQL, outside any outer transaction: make this one REPEATABLE READ, so every
    statement in it (the jobs locked, the figures, the jobs moved to reported) reads the one
    snapshot its first statement takes. Inside an outer transaction (tests, a caller's own) the
    isolation is the caller's."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _publish(*, council, service: str, period: Period, by, now) -> Report:
    repeatable = _snapshot_for_the_transaction()
    with transaction.atomic():
        if repeatable:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # The lock comes first: what it sees is the snapshot the figures are computed from and
        # the jobs moved to reported are taken from, so a write committed in between is in neither.
        closed = Job.objects.select_for_update().filter(
            council=council, service=service, status=JobStatus.CLOSED,
            notified_at__gte=period.start, notified_at__lt=period.end)
        ids = list(closed.values_list("id", flat=True))
        if Report.objects.filter(kind=ReportKind.PUBLICATION, council=council, services=[service],
                                 period_key=period.key).exists():
            raise ValidationError({"period": "That period is already published for this council and service."})
        figures = measures_as_dict(dia_measures(period=period, council_id=council.pk, services=[service]))
        report = Report.objects.create(
            reference=reference_next(prefix="RPT"), kind=ReportKind.PUBLICATION, council=council,
            services=[service], period_key=period.key, requested_by=permissions.actor_user(by),
            status=ReportStatus.DONE, progress=100, progress_note="Published", started_at=now, finished_at=now,
            figures=figures, jobs_reported=len(ids),
        )
        for start in range(0, len(ids), 5000):
            Job.objects.filter(pk__in=ids[start:start + 5000]).update(
                status=JobStatus.REPORTED, reported_at=now, next_due_at=None, version=F("version") + 1,
                updated_by=permissions.actor_user(by))
        job_type = ContentType.objects.get_for_model(Job)
        StateLog.objects.bulk_create([
            StateLog(content_type=job_type, object_id=job_id, source_state=JobStatus.CLOSED, state=JobStatus.REPORTED,
                     transition="mark_reported", by=permissions.actor_user(by), timestamp=now,
                     description=f"Published in {report.reference} ({period.label})")
            for job_id in ids
        ], batch_size=2000)
        # The jobs are now reported: the stored dashboards of this council (and of all councils)
        # show stage durations and open work from before; the next view computes them again.
        from .snapshots import snapshots_forget

        snapshots_forget(council_id=council.pk)
    return report


def publication_difference(*, report: Report) -> list[dict]:
    """The published figures beside a re-run of the same measures now."""
    fresh = measures_as_dict(dia_measures(period=report.period, council_id=report.council_id,
                                          services=report.services))
    rows = []
    for service, published in report.figures.items():
        now_figures = {f["key"]: f for f in fresh.get(service, {}).get("figures", [])}
        for figure in published["figures"]:
            current = now_figures.get(figure["key"], {})
            rows.append({"service": Service(service).label, "label": figure["label"], "unit": figure["unit"],
                         "published": figure["value"], "now": current.get("value"),
                         "published_counted": figure["counted"], "now_counted": current.get("counted"),
                         "changed": figure["value"] != current.get("value")
                         or figure["counted"] != current.get("counted")})
    return rows

