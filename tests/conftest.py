"""One user per role, the organisations they belong to, and the real-service markers.

Tests marked ``postgres``, ``redis`` or ``browser`` skip when that service is missing;
with CI=true a skip of such a test fails the run instead, so a green CI always means
they ran.
"""

import os
import shutil

import pytest
from django.db import connection
from django.test import Client

from enquiries.enums import Service
from tests.factories import (
    CategoryFactory,
    ContractorFactory,
    CouncilFactory,
    IssueTypeFactory,
    PriorityFactory,
    SuburbFactory,
    UserFactory,
)

IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing_service(item) -> str | None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        return "needs Redis: set REDIS_URL=redis://..."
    if item.get_closest_marker("browser"):
        if not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
            return "needs Debian's chromium (apt-get install chromium)"
        try:
            import playwright  # noqa: F401
        except ImportError:
            return "needs the playwright Python package"
    return None


def pytest_runtest_setup(item):
    reason = _missing_service(item)
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true and this test would be skipped: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def end_stray_database_sessions(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end sessions that server threads left open.

    The live server's and the Celery worker's threads open their own PostgreSQL
    connections; one of them can still be idle when the run ends, and PostgreSQL will not
    drop a database that has a session on it.
    """
    yield
    if connection.vendor != "postgresql":
        return
    from django.db import OperationalError

    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    except OperationalError:
        pass  # a run with no database test never connected: nothing to end


@pytest.fixture(autouse=True)
def private_media_in_a_temporary_folder(settings, tmp_path_factory):
    # Photos and letters are written for real; never into the project's private-media folder.
    settings.PRIVATE_MEDIA_ROOT = tmp_path_factory.mktemp("private-media")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Tests override values only: the slow production hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_throttle_counters(settings):
    """Each test counts logins and resets from zero: a cache key prefix of its own.

    Never a flush: with REDIS_URL the cache shares a Redis with the Celery broker.
    """
    import copy
    import uuid

    caches = copy.deepcopy(settings.CACHES)
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    caches["default"]["KEY_PREFIX"] = prefix
    if caches["default"]["BACKEND"].endswith("LocMemCache"):
        caches["default"]["LOCATION"] = prefix
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def sms_in_memory(settings):
    """Texts go to common.sms.outbox, as e-mails go to django.core.mail.outbox."""
    from common import sms

    settings.SMS_BACKEND = "common.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def tasks_in_process_unless_testing_the_worker(request):
    """Tasks run in-process so tests see their effects, except where a real worker is the point."""
    from config.celery import app

    eager = request.node.get_closest_marker("redis") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


# Organisations ----------------------------------------------------------------------

@pytest.fixture
def council(db):
    return CouncilFactory(name="Wellington City Council", short_code="WCC")


@pytest.fixture
def other_council(db):
    return CouncilFactory(name="Hutt City Council", short_code="HCC")


@pytest.fixture
def suburb(council):
    return SuburbFactory(council=council, name="Te Aro")


@pytest.fixture
def other_suburb(other_council):
    return SuburbFactory(council=other_council, name="Petone")


@pytest.fixture
def utility(db):
    from tests.factories import UtilityFactory

    return UtilityFactory()


def _contracts(contractor, council, *, usual: bool):
    from tests.factories import ContractFactory

    for service in Service.values:
        ContractFactory(council=council, service=service, contractor=contractor, is_usual=usual)


@pytest.fixture
def contractor(council):
    """Citycare, the usual contractor for every service of the council."""
    citycare = ContractorFactory(name="Citycare")
    _contracts(citycare, council, usual=True)
    return citycare


@pytest.fixture
def other_contractor(council):
    """Fulton Hogan, also under contract to the council, but not the usual one."""
    fulton = ContractorFactory(name="Fulton Hogan")
    _contracts(fulton, council, usual=False)
    return fulton


# One user per role -----------------------------------------------------------------

@pytest.fixture
def callcentre_user(council):
    return UserFactory(username="callcentre", organisation=council, role_call_centre=True)


@pytest.fixture
def other_callcentre_user(other_council):
    return UserFactory(username="callcentre-hcc", organisation=other_council, role_call_centre=True)


@pytest.fixture
def casemanager_user(utility):
    return UserFactory(username="casemanager", organisation=utility, role_case_manager=True)


@pytest.fixture
def other_casemanager_user(utility):
    return UserFactory(username="casemanager2", organisation=utility, role_case_manager=True)


@pytest.fixture
def crew_user(contractor):
    return UserFactory(username="crew", organisation=contractor, role_crew=True)


@pytest.fixture
def other_crew_user(other_contractor):
    return UserFactory(username="crew-fh", organisation=other_contractor, role_crew=True)


@pytest.fixture
def analyst_user(utility):
    return UserFactory(username="analyst", organisation=utility, role_analyst=True)


@pytest.fixture
def admin_user(utility):
    return UserFactory(username="admin", organisation=utility, role_admin=True, is_staff=True, is_superuser=True)


@pytest.fixture
def privacy_officer_user(utility):
    return UserFactory(username="privacy", organisation=utility, role_privacy_officer=True)


ROLE_FIXTURES = {
    "callcentre": "callcentre_user",
    "casemanager": "casemanager_user",
    "crew": "crew_user",
    "analyst": "analyst_user",
    "admin": "admin_user",
    "privacyofficer": "privacy_officer_user",
}


@pytest.fixture
def user_for_role(request):
    """Look up a role's user by name: user_for_role('crew')."""

    def get(role: str):
        return request.getfixturevalue(ROLE_FIXTURES[role])

    return get


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


# Reference data (also made by migrations, but transactional tests flush it) ----------

@pytest.fixture
def leak(db):
    return IssueTypeFactory(service="water_supply", code="leak", name="Leak", duplicate_radius_m=200)


@pytest.fixture
def overflow(db):
    return IssueTypeFactory(service="wastewater", code="overflow", name="Wastewater overflow", duplicate_radius_m=300)


@pytest.fixture
def p2(db):
    return PriorityFactory(name="P2", label="Urgent", is_urgent=True, attendance_target_hours=4,
                           resolution_target_hours=24, business_hours=False)


@pytest.fixture
def p4(db):
    return PriorityFactory(name="P4", label="Planned", is_urgent=False, attendance_target_hours=27,
                           resolution_target_hours=90, business_hours=True)


@pytest.fixture
def main_leak(db):
    return CategoryFactory(service="water_supply", name="Water main leak")



@pytest.fixture
def submission_token():
    """The one-time token a create form's page issues to a user: submission_token(user)."""
    from common.submissions import submission_token_new

    return lambda user: submission_token_new(user=user)


@pytest.fixture
def outbox_calls(monkeypatch):
    """What complaints hand to the side-effect outbox (``outbox_add``'s keyword arguments), in order."""
    from common import outbox

    calls = []
    monkeypatch.setattr(outbox, "outbox_add", lambda **kwargs: calls.append(kwargs))
    return calls
