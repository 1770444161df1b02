"""Facts cannot be changed behind the product's back.

Every append-only table gets one row through the services a user's actions call; then, on
PostgreSQL, ``QuerySet.update()``, ``QuerySet.delete()`` and raw SQL ``UPDATE`` and ``DELETE``
are each refused by the database's trigger (common.history). On every database the model
still refuses a second ``save()`` of the row.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django_fsm_log.models import StateLog

from enquiries.enums import PersonalDataPage
from enquiries.models import PersonalDataAccess
from enquiries.services import personal_data_access_record
from feedback import services as feedback_services
from feedback.models import CallBack, CallBackAttempt, Feedback
from jobs import services
from jobs.customer_updates import customer_update_log
from jobs.enums import VariationKind
from jobs.models import (
    Assessment,
    Classification,
    CustomerUpdate,
    FloodedProperty,
    Resolution,
    UpdateRecipient,
    Variation,
    Visit,
)
from tests.factories import EnquiryFactory, FaultTypeFactory, assessment_kwargs


@dataclass(frozen=True)
class Fact:
    model: type
    text_field: str  # a column to try to change


FACTS = {
    "visit": Fact(Visit, "backdate_reason"),
    "resolution": Fact(Resolution, "note"),
    "classification": Fact(Classification, "reason"),
    "assessment": Fact(Assessment, "notes"),
    "variation": Fact(Variation, "reason"),
    "flooded_property": Fact(FloodedProperty, "street_address"),
    "customer_update": Fact(CustomerUpdate, "message"),
    "update_recipient": Fact(UpdateRecipient, "address"),
    "callback_attempt": Fact(CallBackAttempt, "note"),
    "feedback": Fact(Feedback, "comment"),
    "personal_data_access": Fact(PersonalDataAccess, "reference"),
    "state_log": Fact(StateLog, "description"),
}
# Rows another table still points at under PROTECT: Django's own check stops QuerySet.delete()
# before any SQL is sent, so for them the database's refusal is shown by the raw DELETE.
DJANGO_PROTECTS = {"resolution", "variation", "customer_update"}


@pytest.fixture
def history(council, suburb, leak, contractor, casemanager_user, crew_user, callcentre_user, p2, main_leak):
    """One job taken from the call to feedback through the services: a row in every fact table."""
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, callback_requested=True,
                             received_at=timezone.now() - timedelta(hours=3))
    job = services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)
    job = services.job_categorise(job=job, category=main_leak, priority=p2, by=casemanager_user)
    job = services.job_allocate(job=job, case_manager=casemanager_user, by=casemanager_user)
    job = services.job_dispatch(job=job, contractor=contractor, by=casemanager_user)
    job = services.job_record_arrival(job=job, by=crew_user)
    flooding = FaultTypeFactory(service="water_supply", code="flooding", name="Flooding", is_flooding=True)
    job = services.job_record_assessment(
        job=job, by=crew_user, habitable_floors=1,
        new_flooding_event={"name": "Storm of 3 May", "area": "Te Aro", "started_at": timezone.now()},
        **assessment_kwargs(fault_type=flooding))
    services.job_record_variation(job=job, by=crew_user, kind=VariationKind.TIMEFRAME, reason="Parts on order",
                                  expected_completion_at=timezone.now() + timedelta(days=2))
    customer_update_log(job=job, by=casemanager_user, issue="Burst main", message="Parts arrive on Thursday.")
    job = services.job_start_repair(job=job, by=crew_user)
    job = services.job_complete(job=job, by=crew_user)
    feedback_services.callback_record(callback=CallBack.objects.get(job=job), outcome="satisfied",
                                      by=callcentre_user, note="Happy with it")
    feedback_services.feedback_record_by_phone(
        job=job, enquiry=enquiry, by=casemanager_user,
        answers={"overall": 5, "timeliness": 4, "communication": 5, "fixed": "yes", "comment": "Quick"})
    personal_data_access_record(user=casemanager_user, customers=[enquiry.customer], page=PersonalDataPage.JOB_DETAIL,
                                reference=job.reference)
    return job


def _row(name):
    row = FACTS[name].model.objects.order_by("-id").first()
    assert row is not None, f"the services wrote no {name} row"
    return row


def _refused(action):
    """Run ``action`` in a savepoint: the trigger's exception names the table (psycopg raises it
    as a ProgrammingError, a DatabaseError)."""
    with pytest.raises(DatabaseError, match="pgtrigger: Cannot .+ rows from"), transaction.atomic():
        action()


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgres
@pytest.mark.parametrize("name", FACTS)
def test_fact_queryset_update_is_refused_by_the_database(history, name):
    fact, row = FACTS[name], _row(name)
    _refused(lambda: fact.model.objects.filter(pk=row.pk).update(**{fact.text_field: "changed"}))
    assert getattr(fact.model.objects.get(pk=row.pk), fact.text_field) != "changed"


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(set(FACTS) - DJANGO_PROTECTS))
def test_fact_queryset_delete_is_refused_by_the_database(history, name):
    fact, row = FACTS[name], _row(name)
    _refused(lambda: fact.model.objects.filter(pk=row.pk).delete())
    assert fact.model.objects.filter(pk=row.pk).exists()


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(DJANGO_PROTECTS))
def test_fact_still_pointed_at_is_refused_by_django_before_the_database(history, name):
    fact, row = FACTS[name], _row(name)
    with pytest.raises(ProtectedError), transaction.atomic():
        fact.model.objects.filter(pk=row.pk).delete()
    assert fact.model.objects.filter(pk=row.pk).exists()


@pytest.mark.postgres
@pytest.mark.parametrize("name", FACTS)
def test_fact_raw_sql_update_is_refused_by_the_database(history, name):
    fact, row = FACTS[name], _row(name)
    table, column = fact.model._meta.db_table, fact.model._meta.get_field(fact.text_field).column
    _refused(lambda: _raw(f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s', ["changed", row.pk]))


@pytest.mark.postgres
@pytest.mark.parametrize("name", FACTS)
def test_fact_raw_sql_delete_is_refused_by_the_database(history, name):
    fact, row = FACTS[name], _row(name)
    table = fact.model._meta.db_table
    _refused(lambda: _raw(f'DELETE FROM "{table}" WHERE id = %s', [row.pk]))
    assert fact.model.objects.filter(pk=row.pk).exists()


@pytest.mark.postgres
def test_state_log_state_and_author_cannot_be_rewritten(history):
    row = StateLog.objects.filter(transition="complete").get()
    _refused(lambda: StateLog.objects.filter(pk=row.pk).update(state="cancelled"))
    _refused(lambda: StateLog.objects.filter(pk=row.pk).update(by=None))


@pytest.mark.postgres
def test_state_log_timestamp_cannot_be_rewritten(history):
    row = StateLog.objects.filter(transition="complete").get()
    _refused(lambda: StateLog.objects.filter(pk=row.pk).update(timestamp=row.timestamp - timedelta(days=1)))


@pytest.mark.parametrize("name", sorted(set(FACTS) - {"state_log"}))
def test_fact_second_save_is_refused_by_the_model_on_every_database(history, name):
    fact, row = FACTS[name], _row(name)
    setattr(row, fact.text_field, "changed")
    with pytest.raises(ValueError, match="append-only"):
        row.save()
    with pytest.raises(ValueError, match="append-only"):
        row.delete()
