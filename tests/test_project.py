"""The project as a whole: production settings pass the deploy checks, migrations are complete,
the compose file describes the production topology, and the demo data seeds once."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k3v9-x2Qp7!mZr8t#Lw4nYb6Hc1Jd5Fs0Ga2Ue7Io9Pq3Rv8Sx4Tz6Wy1",
    "ALLOWED_HOSTS": "journey.example.org",
    "DATABASE_URL": "postgres://journey:secret@db.example.org:5432/journey",
    "REDIS_URL": "redis://redis.example.org:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}


def _manage(*args, env=None):
    # A clean production-like environment: nothing the test run itself set (the browser tests
    # allow async-unsafe calls, for one) leaks into the checks.
    leave_out = ("DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if k not in leave_out}
    environment.update(env or {})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_production_settings_pass_the_deploy_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = dict(PRODUCTION_ENV)
    env.pop("SECRET_KEY")
    result = _manage("check", env=env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_models_and_migrations_agree():
    result = _manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_describes_the_production_topology():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "gunicorn" in " ".join(_command(services["web"]))
    assert "worker" in _command(services["worker"]) and "celery" in " ".join(_command(services["worker"]))
    assert "beat" in _command(services["beat"])
    assert "DatabaseScheduler" in " ".join(_command(services["beat"])) or "django_celery_beat" in str(compose)
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert any("/var/lib/postgresql/data" in str(v) for v in services["postgres"].get("volumes", []))
    assert "volumes" in compose
    # Only the reverse proxy is published; the app believes forwarded headers from its address alone.
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}, published
    proxy_address = services["proxy"]["networks"]["app"]["ipv4_address"]
    assert compose["x-app"]["environment"]["TRUSTED_PROXIES"] == proxy_address
    assert "web:8000" in (ROOT / "deploy" / "Caddyfile").read_text()
    for name in ("web", "worker", "beat"):
        environment = str(services[name].get("environment", "")) + str(services[name].get("env_file", ""))
        assert "DATABASE_URL" in environment or "env_file" in services[name], f"{name} has no configuration"
        depends = services[name].get("depends_on", {})
        assert "postgres" in depends and "redis" in depends


def _command(service) -> list[str]:
    command = service.get("command", "")
    return command.split() if isinstance(command, str) else list(command)


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_gives_every_page_something(settings):
    from enquiries.models import Enquiry
    from jobs.enums import JobStatus
    from jobs.models import Job

    settings.DEBUG = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    counts = (Enquiry.objects.count(), Job.objects.count())
    # The live weeks: 200 jobs in every status, plus a telemetry job and a merged pair of duplicates.
    from reporting.hotspots import hotspots
    from reporting.periods import last_complete

    recent = Job.objects.filter(notified_at__gte=timezone.now() - timedelta(days=84))
    karori_bursts = recent.filter(suburb__name="Karori", category__name="Water main burst",
                                  notified_at__gte=last_complete("month").start,
                                  notified_at__lt=last_complete("month").end).count()
    assert recent.count() - karori_bursts >= 203 and counts[0] >= 280
    # Behind them, two financial years of finished jobs, and the planted hotspot last month.
    year = last_complete("year")
    assert Job.objects.filter(notified_at__gte=year.start, notified_at__lt=year.end).count() > 100
    assert Job.objects.filter(notified_at__lt=year.start).exists()
    assert [h.suburb for h in hotspots(period=last_complete("month")) if h.category == "Water main burst"] == ["Karori"]
    from jobs.models import Classification, ConnectionCount, Contract, Resolution, Visit

    assert Visit.objects.count() >= Job.objects.filter(attended_at__isnull=False).count() > 0
    assert Resolution.objects.exists() and Classification.objects.exists()
    assert Job.objects.filter(is_urgent__isnull=False).exclude(kpi_class="").exists()
    assert ConnectionCount.objects.count() == 5 * 3 * 3 and Contract.objects.filter(is_usual=True).count() == 15
    assert set(Job.objects.values_list("status", flat=True)) == set(JobStatus.values)
    from jobs.models import CustomerUpdate, FloodedProperty, JobPhoto, Letter, UpdateOwed, Variation

    assert Variation.objects.exists() and JobPhoto.objects.exists()
    assert Letter.objects.filter(status="ready").exists() and CustomerUpdate.objects.filter(to_everyone=True).exists()
    assert UpdateOwed.objects.filter(cleared_at__isnull=True).exists()  # the triage tab has something
    assert FloodedProperty.objects.count() == 2  # three jobs, two houses
    assert Job.objects.filter(site_contact__isnull=False).exists()
    from feedback.demo import DEMO_FEEDBACK_CODE
    from feedback.models import CallBack, Feedback, FeedbackRequest

    # Stage 4: call-backs in every outcome, closed jobs with feedback, the README's printable link.
    assert set(CallBack.objects.exclude(outcome="").values_list("outcome", flat=True)) == {
        "satisfied", "not_satisfied", "no_answer", "wrong_number"}
    assert CallBack.objects.filter(status="exhausted").exists() and CallBack.objects.filter(status="scheduled").exists()
    assert Feedback.objects.filter(job__status__in=["closed", "reported"]).exists()
    assert FeedbackRequest.objects.filter(code=DEMO_FEEDBACK_CODE, answered_at__isnull=True).exists()
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert (Enquiry.objects.count(), Job.objects.count()) == counts
    from accounts.models import User

    for username in ("callcentre", "casemanager", "crew", "analyst", "admin"):
        assert User.objects.get(username=username).check_password("demo-pass-2026")


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_in_production_unless_forced(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="refusing"):
        call_command("seed_demo", "--no-activity")
    call_command("seed_demo", "--no-activity", "--force", stdout=open(os.devnull, "w"))


def test_static_files_collect_under_production_settings(tmp_path):
    # The manifest storage refuses files that name missing ones (a source map, say).
    result = _manage("collectstatic", "--noinput", "-v", "0",
                     env=dict(PRODUCTION_ENV, STATIC_ROOT=str(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles.json").exists()


def test_views_read_the_state_log_only_through_selectors():
    offenders = [str(path.relative_to(ROOT)) for path in ROOT.glob("*/views.py") if "StateLog" in path.read_text()]
    assert offenders == []


@pytest.mark.django_db
def test_the_enquiry_history_selector_lists_changes_oldest_first_with_who(council, suburb, leak, casemanager_user):
    from enquiries.selectors import enquiry_history
    from jobs.services import job_cancel, job_create_from_enquiries
    from tests.factories import EnquiryFactory

    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    job = job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)
    job_cancel(job=job, reason="no_fault", by=casemanager_user)
    rows = list(enquiry_history(enquiry=enquiry))
    assert [(row.transition, row.by) for row in rows] == [("link_to_job", casemanager_user),
                                                          ("close", casemanager_user)]
