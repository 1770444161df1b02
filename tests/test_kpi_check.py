"""``manage.py kpi_check``: every job column copied from a fact agrees with the facts, or is listed."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from jobs import services
from jobs.audit import job_copies_disagreeing
from jobs.enums import JobStatus, VariationKind
from jobs.models import Job
from tests.factories import CategoryFactory, EnquiryFactory, PriorityFactory, assessment_kwargs


@pytest.fixture
def make_job(council, suburb, leak, contractor, casemanager_user, crew_user, p2, main_leak):
    """A job taken by the services as far as ``to``: 'logged', 'attended', 'completed', 'reopened' (and
    left open) or 'completed again' (reopened, reclassified after a revisit, completed again)."""

    def make(to: str) -> Job:
        enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                                 received_at=timezone.now() - timedelta(hours=5))
        job = services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)
        if to == "logged":
            return job
        job = services.job_categorise(job=job, category=main_leak, priority=p2, by=casemanager_user)
        job = services.job_allocate(job=job, case_manager=casemanager_user, by=casemanager_user)
        job = services.job_dispatch(job=job, contractor=contractor, by=casemanager_user)
        job = services.job_record_arrival(job=job, by=crew_user, arrived_at=timezone.now() - timedelta(hours=2),
                                          backdate_reason="No signal on site")
        if to == "attended":
            return job
        job = services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs())
        services.job_record_variation(job=job, by=crew_user, kind=VariationKind.TIMEFRAME, reason="Parts on order",
                                      expected_completion_at=timezone.now() + timedelta(days=2))
        job = services.job_start_repair(job=Job.objects.get(pk=job.pk), by=crew_user)
        job = services.job_complete(job=job, by=crew_user)
        if to == "completed":
            return job
        job = services.job_reopen(job=job, reason="Leak is back", by=casemanager_user)
        if to == "reopened":
            return job
        planned = PriorityFactory(name="P4", label="Planned", is_urgent=False, attendance_target_hours=27,
                                  resolution_target_hours=90, business_hours=True)
        job = services.job_categorise(job=job, category=CategoryFactory(service="water_supply", name="Service leak"),
                                      priority=planned, by=casemanager_user, note="Only a service pipe")
        job = services.job_allocate(job=job, case_manager=casemanager_user, by=casemanager_user)
        job = services.job_dispatch(job=job, contractor=contractor, by=casemanager_user)
        job = services.job_record_arrival(job=job, by=crew_user)
        job = services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs(notes="Second look"))
        return services.job_complete(job=job, by=crew_user)

    return make


SHAPES = ("logged", "attended", "completed", "reopened", "completed again")


@pytest.fixture
def histories(make_job):
    return {to: make_job(to) for to in SHAPES}


def _kpi_check() -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("kpi_check", stdout=out)
    except CommandError as refused:
        return out.getvalue(), refused
    return out.getvalue(), None


def _behind_the_back(sql: str, job: Job) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE jobs_job SET {sql} WHERE id = %s", [job.pk])


def test_kpi_check_passes_every_history_the_services_write(histories):
    assert histories["reopened"].completed_at is None
    assert histories["completed again"].is_urgent is False
    out, refused = _kpi_check()
    assert refused is None
    assert out.strip() == f"kpi_check: all {len(histories)} jobs agree with their history."


@pytest.mark.parametrize(("which", "sql", "column"), [
    ("attended", "attended_at = attended_at - INTERVAL_HOUR", "attended_at"),
    ("logged", "attended_at = notified_at", "attended_at"),
    ("completed", "completed_at = NULL", "completed_at"),
    ("reopened", "completed_at = notified_at", "completed_at"),
    ("completed again", "is_urgent = TRUE", "is_urgent"),
    ("completed", "kpi_class = ''", "kpi_class"),
    ("completed again", "category_id = NULL", "category"),
    ("attended", "priority_id = NULL", "priority"),
    ("completed", "expected_completion_at = NULL", "expected_completion_at"),
    ("completed", "status = 'closed'", "status"),
])
def test_kpi_check_lists_a_copy_changed_behind_the_products_back_and_exits_non_zero(make_job, which, sql, column):
    job = make_job(which)
    hour = "datetime(attended_at, '-1 hour')" if connection.vendor == "sqlite" else "attended_at - interval '1 hour'"
    _behind_the_back(sql.replace("attended_at - INTERVAL_HOUR", hour), job)

    out, refused = _kpi_check()

    assert refused is not None and refused.returncode == 1
    assert str(refused) == "1 copied value(s) on 1 job(s) disagree with the history."
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{job.reference} {column}: job says ")


def test_kpi_check_shows_both_values(make_job):
    job = make_job("attended")
    visit_time = timezone.localtime(job.visits.get().arrived_at)
    _behind_the_back("attended_at = NULL", job)
    out, _refused = _kpi_check()
    assert out.strip() == (f"{job.reference} attended_at: job says none, first visit's arrival says "
                           f"{visit_time.isoformat(sep=' ', timespec='microseconds')}")


def test_kpi_check_reads_every_job_in_one_query(histories, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert job_copies_disagreeing() == []


def test_kpi_check_first_visit_stays_the_attendance_after_a_revisit(make_job, casemanager_user, contractor,
                                                                    crew_user):
    job = make_job("reopened")
    job = services.job_allocate(job=job, case_manager=casemanager_user, by=casemanager_user)
    job = services.job_dispatch(job=job, contractor=contractor, by=casemanager_user)
    job = services.job_record_arrival(job=job, by=crew_user)
    assert job.visits.count() == 2 and job.status == JobStatus.ATTENDED
    assert job_copies_disagreeing() == []
    # The revisit's arrival copied over the first: the check holds the attendance to the first visit.
    _behind_the_back("attended_at = (SELECT max(arrived_at) FROM jobs_visit WHERE job_id = jobs_job.id)", job)
    assert [(d.reference, d.column) for d in job_copies_disagreeing()] == [(job.reference, "attended_at")]
