"""Who saw a customer's details (Privacy Act 2020, principles 5, 6 and 11): every page and download
that shows them whole leaves a row; the privacy officer reads the log; old rows are deleted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import permissions
from enquiries.access_log import access_log_purge
from enquiries.enums import ContactChannel, PersonalDataPage
from enquiries.models import PersonalDataAccess
from enquiries.services import personal_data_access_record
from jobs.enums import JobStatus
from jobs.models import UpdateRecipient
from tests.factories import (
    CallBackFactory,
    ComplaintFactory,
    CustomerFactory,
    FeedbackRequestFactory,
    JobFactory,
    UserFactory,
    letter_for,
)

NAME, PHONE = "Aroha Ngata", "021 555 4567"


@pytest.fixture
def customer(council):
    return CustomerFactory(council=council, name=NAME, phone=PHONE, postal_address="PO Box 11, Wellington 6140")


def _pages(user=None):
    rows = PersonalDataAccess.objects.all() if user is None else PersonalDataAccess.objects.filter(user=user)
    return list(rows.order_by("id").values_list("page", "reference", "customer_id"))


# Letters -------------------------------------------------------------------------------------------

@pytest.fixture
def letter(council, suburb, contractor, customer):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.IN_REPAIR, contractor=contractor)
    letter = letter_for(job)
    UpdateRecipient.objects.create(update=letter.update, customer=customer, channel=ContactChannel.LETTER,
                                   address=customer.postal_address)
    return letter


def _letter_url(letter):
    return f"/jobs/{letter.job.reference}/letters/{letter.pk}/"


@pytest.mark.parametrize(("role", "status"), [("casemanager", 200), ("callcentre", 200), ("crew", 403),
                                              ("analyst", 403)])
def test_letters_are_downloaded_only_by_the_staff_who_post_them(client_for, user_for_role, letter, role, status):
    assert client_for(user_for_role(role)).get(_letter_url(letter)).status_code == status


def test_letter_download_is_logged_with_who_when_and_from_where(client_for, casemanager_user, letter, customer):
    before = timezone.now()
    response = client_for(casemanager_user).get(_letter_url(letter), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    row = PersonalDataAccess.objects.get()
    assert (row.user, row.customer, row.page, row.reference, row.client_ip) == (
        casemanager_user, customer, PersonalDataPage.LETTER_DOWNLOAD, letter.job.reference, "203.0.113.7")
    assert row.at >= before


def test_job_page_does_not_link_letters_for_roles_that_may_not_download_them(client_for, analyst_user,
                                                                              casemanager_user, letter):
    assert _letter_url(letter) not in client_for(analyst_user).get(f"/jobs/{letter.job.reference}/").content.decode()
    assert _letter_url(letter) in client_for(casemanager_user).get(f"/jobs/{letter.job.reference}/").content.decode()


# Call-backs, complaints, feedback letters -----------------------------------------------------------

def test_callback_queue_logs_each_customer_shown_in_one_insert(client_for, callcentre_user, council, suburb, leak):
    callbacks = [CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak)
                 for _ in range(3)]
    assert client_for(callcentre_user).get("/callbacks/").status_code == 200
    assert sorted(_pages(callcentre_user)) == sorted(
        (PersonalDataPage.CALLBACK_QUEUE, c.enquiry.reference, c.enquiry.customer_id) for c in callbacks)


def test_an_empty_callback_queue_logs_nothing(client_for, callcentre_user):
    client = client_for(callcentre_user)
    client.get("/callbacks/")
    assert not PersonalDataAccess.objects.exists()


def test_callback_record_page_is_logged(client_for, casemanager_user, council, suburb, leak):
    callback = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak)
    body = client_for(casemanager_user).get(f"/callbacks/{callback.pk}/").content.decode()
    assert callback.enquiry.customer.name in body
    assert _pages(casemanager_user) == [
        (PersonalDataPage.CALLBACK_RECORD, callback.enquiry.reference, callback.enquiry.customer_id)]


def test_complaint_page_is_logged(client_for, callcentre_user, council, customer):
    complaint = ComplaintFactory(council=council, customer=customer)
    body = client_for(callcentre_user).get(f"/complaints/{complaint.reference}/").content.decode()
    assert NAME in body
    assert _pages(callcentre_user) == [(PersonalDataPage.COMPLAINT_DETAIL, complaint.reference, customer.pk)]


def test_feedback_letter_is_logged(client_for, casemanager_user, council, suburb):
    request_obj = FeedbackRequestFactory(job__council=council, job__suburb=suburb, enquiry__suburb=suburb)
    from django.urls import reverse

    assert client_for(casemanager_user).get(reverse("feedback:feedback-letter", args=[request_obj.pk])).status_code \
        == 200
    assert _pages(casemanager_user) == [
        (PersonalDataPage.FEEDBACK_LETTER, request_obj.job.reference, request_obj.customer_id)]


# The privacy officer's page -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["callcentre", "casemanager", "crew", "analyst", "admin"])
def test_access_log_page_is_only_for_the_privacy_officer(client_for, user_for_role, role):
    assert client_for(user_for_role(role)).get("/enquiries/access-log/").status_code == 403
    assert not permissions.may_view_access_log(user_for_role(role))


def test_privacy_officer_role_is_in_the_admin_user_form(client_for, admin_user):
    body = client_for(admin_user).get(f"/admin/accounts/user/{admin_user.pk}/change/").content.decode()
    assert 'name="role_privacy_officer"' in body


def test_privacy_officer_lands_on_the_access_log(client_for, privacy_officer_user):
    response = client_for(privacy_officer_user).get("/")
    assert response.status_code == 302 and response["Location"] == "/enquiries/access-log/"


def test_access_log_lists_newest_first_with_who_what_and_where(client_for, privacy_officer_user, callcentre_user,
                                                              customer):
    personal_data_access_record(user=callcentre_user, page=PersonalDataPage.ENQUIRY_DETAIL,
                                reference="ENQ-2026-000001", customers=[customer], client_ip="198.51.100.4")
    personal_data_access_record(user=callcentre_user, page=PersonalDataPage.COMPLAINT_DETAIL,
                                reference="CMP-2026-000001", customers=[customer])
    body = client_for(privacy_officer_user).get("/enquiries/access-log/").content.decode()
    assert NAME in body and "198.51.100.4" in body and callcentre_user.username in body
    assert body.index("CMP-2026-000001") < body.index("ENQ-2026-000001")


def test_access_log_filters_by_customer_name_phone_or_number_and_by_staff_member(
        client_for, privacy_officer_user, callcentre_user, casemanager_user, customer, council):
    other = CustomerFactory(council=council, name="Tama Rewi", phone="04 333 2222")
    personal_data_access_record(user=callcentre_user, page=PersonalDataPage.ENQUIRY_DETAIL, reference="ENQ-A",
                                customers=[customer])
    personal_data_access_record(user=casemanager_user, page=PersonalDataPage.ENQUIRY_DETAIL, reference="ENQ-B",
                                customers=[other])
    client = client_for(privacy_officer_user)

    def shown(**query):
        body = client.get("/enquiries/access-log/", query).content.decode()
        return {ref for ref in ("ENQ-A", "ENQ-B") if f">{ref}<" in body}

    assert shown() == {"ENQ-A", "ENQ-B"}
    assert shown(customer="ngata") == {"ENQ-A"}
    assert shown(customer="021 555") == {"ENQ-A"}
    assert shown(customer=str(other.pk)) == {"ENQ-B"}
    assert shown(viewer=casemanager_user.username) == {"ENQ-B"}
    assert shown(customer="nobody at all") == set()


def test_a_council_privacy_officer_sees_only_its_own_customers(client_for, callcentre_user, customer, council,
                                                               other_council):
    officer = UserFactory(username="privacy-wcc", organisation=council, role_privacy_officer=True)
    outsider = CustomerFactory(council=other_council, name="Hemi Walker")
    personal_data_access_record(user=callcentre_user, page=PersonalDataPage.ENQUIRY_DETAIL, reference="ENQ-A",
                                customers=[customer, outsider])
    body = client_for(officer).get("/enquiries/access-log/").content.decode()
    assert NAME in body and "Hemi Walker" not in body


def test_access_log_pages_fifty_rows_newest_first(client_for, privacy_officer_user, callcentre_user, customer):
    for n in range(55):
        personal_data_access_record(user=callcentre_user, page=PersonalDataPage.ENQUIRY_DETAIL,
                                    reference=f"REF-{n:03d}", customers=[customer])
    client = client_for(privacy_officer_user)
    first = client.get("/enquiries/access-log/")
    body = first.content.decode()
    assert ">REF-054<" in body and ">REF-004<" not in body
    second = client.get("/enquiries/access-log/", {"after": first.context["page"].next_cursor}).content.decode()
    assert ">REF-004<" in second and ">REF-054<" not in second


def test_access_log_page_answers_bad_filters_and_cursors_without_error(client_for, privacy_officer_user):
    client = client_for(privacy_officer_user)
    for query in ({"customer": "9" * 40}, {"after": "not-a-cursor"}, {"viewer": "x" * 500}):
        assert client.get("/enquiries/access-log/", query).status_code == 200
    assert client.get("/enquiries/access-log/", {"customer": "\x00"}).status_code == 400


@pytest.mark.parametrize("rows", [1, 30])
def test_access_log_page_query_count_does_not_grow(client_for, privacy_officer_user, callcentre_user, council,
                                                   django_assert_num_queries, rows):
    for n in range(rows):
        personal_data_access_record(user=callcentre_user, page=PersonalDataPage.ENQUIRY_DETAIL,
                                    reference=f"REF-{n}", customers=[CustomerFactory(council=council)])
    client = client_for(privacy_officer_user)
    client.get("/enquiries/access-log/")
    with django_assert_num_queries(4):  # session, user, the page of rows (joined), the bounded count
        assert client.get("/enquiries/access-log/").status_code == 200


# Retention -------------------------------------------------------------------------------------------

def _row_at(user, customer, at):
    # Written at that time: the log refuses UPDATE (on PostgreSQL a trigger), so no backdating after the insert.
    PersonalDataAccess.objects.create(user=user, customer=customer, page=PersonalDataPage.ENQUIRY_DETAIL,
                                      reference="ENQ", at=at)


def test_access_log_rows_past_retention_are_purged_and_a_second_run_deletes_nothing(settings, callcentre_user,
                                                                                    customer):
    settings.ACCESS_LOG_RETENTION_DAYS = 30
    now = timezone.now()
    recent = CustomerFactory(council=customer.council)
    _row_at(callcentre_user, customer, now - timedelta(days=31))
    _row_at(callcentre_user, recent, now - timedelta(days=29))
    assert access_log_purge(now=now) == 1
    assert list(PersonalDataAccess.objects.values_list("customer_id", flat=True)) == [recent.pk]
    assert access_log_purge(now=now) == 0


def test_the_purge_task_uses_the_default_retention_of_two_years(callcentre_user, customer):
    from enquiries.tasks import access_log_purge_expired

    now = timezone.now()
    _row_at(callcentre_user, customer, now - timedelta(days=731))
    _row_at(callcentre_user, customer, now - timedelta(days=700))
    assert access_log_purge_expired() == 1
    assert PersonalDataAccess.objects.count() == 1


def test_the_purge_runs_daily_under_celery_beat(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="enquiries.tasks.access_log_purge_expired")
    assert task.enabled and (task.interval.every, task.interval.period) == (1, "days")


def test_complaint_customer_search_results_are_logged(client_for, casemanager_user, customer):
    body = client_for(casemanager_user).get("/complaints/new/", {"q": "Aroha"}).content.decode()
    assert NAME in body and PHONE in body
    assert _pages(casemanager_user) == [(PersonalDataPage.CUSTOMER_LOOKUP, "complaint", customer.pk)]
