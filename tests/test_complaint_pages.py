"""Complaint screens as users meet them: Log complaint, the queue, the complaint page, the job page."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from complaints import services
from complaints.enums import ComplaintStatus, EscalationLevel
from complaints.models import Complaint
from enquiries.enums import EnquiryStatus
from jobs.enums import JobStatus
from tests.factories import (
    ComplaintCategoryFactory,
    ComplaintCauseFactory,
    ComplaintFactory,
    ComplaintServiceLevelFactory,
    CustomerFactory,
    EnquiryFactory,
    JobFactory,
)

CMP = re.compile(r"CMP-\d{4}-\d{6}")


@pytest.fixture
def taste(db):
    ComplaintServiceLevelFactory()
    return ComplaintCategoryFactory(service="water_supply", name="Drinking water taste", dia_measure="water_taste")


@pytest.fixture
def job_with_customer(council, suburb, leak, casemanager_user, contractor, p2, main_leak):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2, category=main_leak,
                     case_manager=casemanager_user, contractor=contractor)
    customer = CustomerFactory(council=council, name="Aroha Ngata")
    enquiry = EnquiryFactory(council=council, suburb=suburb, customer=customer, issue_type=leak, job=job,
                             status=EnquiryStatus.LINKED)
    return job, customer, enquiry


def _log_data(category, customer, **extra):
    data = {"customer": customer.pk, "category": category.pk, "channel": "phone",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "description": "Water tastes of chlorine since the repair."}
    data.update(extra)
    return data


def test_call_centre_logs_a_complaint_from_the_job_page_and_the_job_shows_it(client_for, callcentre_user, taste,
                                                                            job_with_customer):
    job, customer, _enquiry = job_with_customer
    client = client_for(callcentre_user)
    page = client.get(f"/jobs/{job.reference}/").content.decode()
    assert f'href="/complaints/new/?job={job.reference}"' in page
    response = client.post(f"/complaints/new/?job={job.reference}", _log_data(taste, customer))
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/complaints/{complaint.reference}/"
    assert CMP.fullmatch(complaint.reference)
    assert (complaint.job, complaint.customer, complaint.council_id) == (job, customer, job.council_id)
    assert complaint.owner is None  # a call-centre logs it; a case manager takes it on
    page = client.get(f"/jobs/{job.reference}/").content.decode()
    assert f"Complaint {complaint.reference}: Received" in page  # the badge
    assert f"Complaint {complaint.reference}: Complaint logged" in page  # on the job's timeline


def test_job_page_badge_shows_state_and_level_and_the_steps_join_the_timeline(client_for, casemanager_user,
                                                                              other_casemanager_user, taste,
                                                                              job_with_customer, outbox_calls):
    job, customer, _ = job_with_customer
    complaint = services.complaint_log(by=casemanager_user, customer=customer, category=taste, job=job,
                                       description="Brown water", channel="phone")
    complaint = services.complaint_understand(complaint=complaint, cause=ComplaintCauseFactory(),
                                              notes="Sediment stirred up", by=casemanager_user)
    services.complaint_escalate(complaint=complaint, level=EscalationLevel.MANAGER, owner=other_casemanager_user,
                                reason="Second time this month", by=casemanager_user)
    page = client_for(casemanager_user).get(f"/jobs/{job.reference}/").content.decode()
    assert f"Complaint {complaint.reference}: Understood · escalated to manager" in page
    assert f"Complaint {complaint.reference}: Record cause" in page
    assert f"Complaint {complaint.reference}: Escalate" in page
    assert "Second time this month" in page


def test_crews_and_analysts_see_no_complaints_on_the_job_page(client_for, crew_user, analyst_user, taste,
                                                             job_with_customer):
    job, customer, _ = job_with_customer
    complaint = ComplaintFactory(council=job.council, customer=customer, job=job, category=taste)
    for user in (crew_user, analyst_user):
        page = client_for(user).get(f"/jobs/{job.reference}/").content.decode()
        assert complaint.reference not in page
        assert "Log complaint" not in page


def test_log_complaint_from_an_enquiry_page_carries_its_job_and_customer(client_for, casemanager_user, taste,
                                                                        job_with_customer):
    job, customer, enquiry = job_with_customer
    client = client_for(casemanager_user)
    page = client.get(f"/enquiries/{enquiry.reference}/").content.decode()
    assert f'href="/complaints/new/?enquiry={enquiry.reference}"' in page
    response = client.post(f"/complaints/new/?enquiry={enquiry.reference}", _log_data(taste, customer))
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.enquiry, complaint.job, complaint.owner) == (enquiry, job, casemanager_user)
    page = client.get(f"/enquiries/{enquiry.reference}/").content.decode()
    assert "Complaint history" in page and complaint.reference in page


def test_log_complaint_on_its_own_finds_the_customer_first(client_for, callcentre_user, taste, council):
    customer = CustomerFactory(council=council, name="Rawiri Tane", phone="021 555 0199")
    client = client_for(callcentre_user)
    page = client.get("/complaints/new/", {"q": "Rawiri"}).content.decode()
    assert f'href="?customer={customer.pk}"' in page
    response = client.post(f"/complaints/new/?customer={customer.pk}", _log_data(taste, customer))
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.customer, complaint.job, complaint.enquiry) == (customer, None, None)


def test_another_councils_call_centre_gets_404_on_a_complaint(client_for, other_callcentre_user, council, taste):
    complaint = ComplaintFactory(council=council, category=taste)
    client = client_for(other_callcentre_user)
    for path in ("", "understand/", "withdraw/", "escalate/"):
        assert client.get(f"/complaints/{complaint.reference}/{path}").status_code == 404, path
    assert client.post(f"/complaints/{complaint.reference}/withdraw/", {"version": 1, "reason": "x"}).status_code \
        == 404
    assert complaint.reference not in client.get("/complaints/", {"tab": "all"}).content.decode()


def test_another_councils_call_centre_cannot_attach_a_complaint_to_its_job(client_for, other_callcentre_user,
                                                                           other_council, taste, job_with_customer):
    job, customer, enquiry = job_with_customer
    own_customer = CustomerFactory(council=other_council)
    client = client_for(other_callcentre_user)
    assert client.get(f"/complaints/new/?job={job.reference}").status_code == 404
    assert client.post(f"/complaints/new/?job={job.reference}", _log_data(taste, own_customer)).status_code == 404
    assert client.post(f"/complaints/new/?enquiry={enquiry.reference}",
                       _log_data(taste, own_customer)).status_code == 404
    assert client.post(f"/complaints/new/?customer={customer.pk}", _log_data(taste, customer)).status_code == 404
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # the service refuses too, whatever a form might say
        services.complaint_log(by=other_callcentre_user, customer=own_customer, category=taste, job=job,
                               description="x", channel="phone")
    assert not Complaint.objects.exists()


def test_a_job_of_one_service_takes_only_that_services_categories(client_for, casemanager_user, taste,
                                                                  job_with_customer):
    job, customer, _ = job_with_customer
    odour = ComplaintCategoryFactory(service="wastewater", name="Sewage odour", dia_measure="wastewater_odour")
    response = client_for(casemanager_user).post(f"/complaints/new/?job={job.reference}", _log_data(odour, customer))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Complaint.objects.exists()


def test_complaint_page_buttons_come_from_the_transitions_available_to_the_user(client_for, casemanager_user,
                                                                                callcentre_user, council, taste):
    complaint = ComplaintFactory(council=council, category=taste)
    manager_page = client_for(casemanager_user).get(f"/complaints/{complaint.reference}/").content.decode()
    assert f'href="/complaints/{complaint.reference}/understand/">Record cause' in manager_page
    assert f'href="/complaints/{complaint.reference}/escalate/">Escalate' in manager_page
    assert "Log discussion" not in manager_page  # the cause first
    call_centre_page = client_for(callcentre_user).get(f"/complaints/{complaint.reference}/").content.decode()
    assert "Record cause" not in call_centre_page
    assert f'href="/complaints/{complaint.reference}/withdraw/">Withdrawn by the customer' in call_centre_page
    assert client_for(callcentre_user).get(f"/complaints/{complaint.reference}/understand/").status_code == 403


def test_a_step_not_available_now_goes_back_to_the_complaint_with_a_message(client_for, casemanager_user, council,
                                                                            taste):
    complaint = ComplaintFactory(council=council, category=taste)
    response = client_for(casemanager_user).get(f"/complaints/{complaint.reference}/resolve/", follow=True)
    assert "received: that step is not available now" in response.content.decode()


def test_a_stale_form_names_who_changed_the_complaint_and_keeps_the_input(client_for, casemanager_user,
                                                                          other_casemanager_user, council, taste,
                                                                          outbox_calls):
    cause = ComplaintCauseFactory()
    complaint = ComplaintFactory(council=council, category=taste, status=ComplaintStatus.UNDERSTOOD, cause=cause,
                                 acknowledged_at=timezone.now())
    stale = complaint.version
    services.complaint_escalate(complaint=complaint, level=EscalationLevel.TEAM_LEADER,
                                owner=other_casemanager_user, reason="Upset", by=other_casemanager_user)
    response = client_for(casemanager_user).post(f"/complaints/{complaint.reference}/contact/", {
        "version": stale, "channel": "phone", "contacted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "summary": "Talked through the flushing plan"})
    body = response.content.decode()
    assert f"was changed by {other_casemanager_user}" in body
    assert "at team leader" in body
    assert "Talked through the flushing plan" in body
    assert f'name="version" value="{stale + 1}"' in body
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.UNDERSTOOD


# The queue ------------------------------------------------------------------------------

def test_queue_tabs_count_new_mine_escalated_due_soon_and_overdue(client_for, casemanager_user, council, taste):
    now = timezone.now()
    cause = ComplaintCauseFactory()
    ComplaintFactory(council=council, category=taste, acknowledge_due_at=now + dt.timedelta(days=3))  # new, not soon
    ComplaintFactory(council=council, category=taste, received_at=now - dt.timedelta(days=3))  # new, overdue
    ComplaintFactory(council=council, category=taste, status=ComplaintStatus.UNDERSTOOD, cause=cause,
                     acknowledged_at=now, owner=casemanager_user, level=EscalationLevel.MANAGER,
                     resolve_due_at=now + dt.timedelta(hours=5))  # mine, escalated, due soon
    ComplaintFactory(council=council, category=taste, status=ComplaintStatus.CLOSED, cause=cause,
                     owner=casemanager_user, level=EscalationLevel.EXECUTIVE)  # finished: in "all" only
    body = client_for(casemanager_user).get("/complaints/").content.decode()
    tabs = dict(re.findall(r'href="\?tab=(\w+)">\s*[\w ]+ <span class="badge[^"]*">(\d+)', body))
    assert tabs == {"new": "2", "mine": "1", "escalated": "1", "due_soon": "1", "overdue": "1", "all": "4"}


def test_queue_filters_by_council_service_category_level_and_state(client_for, casemanager_user, council,
                                                                   other_council, taste):
    odour = ComplaintCategoryFactory(service="wastewater", name="Sewage odour", dia_measure="wastewater_odour")
    a = ComplaintFactory(council=council, category=taste, level=EscalationLevel.MANAGER)
    b = ComplaintFactory(council=other_council, category=odour)
    client = client_for(casemanager_user)

    def shown(**params):
        body = client.get("/complaints/", {"tab": "all", **params}).content.decode()
        return {ref for ref in (a.reference, b.reference) if ref in body}

    assert shown() == {a.reference, b.reference}
    assert shown(council=other_council.pk) == {b.reference}
    assert shown(service="wastewater") == {b.reference}
    assert shown(category=taste.pk) == {a.reference}
    assert shown(level="manager") == {a.reference}
    assert shown(status="closed") == set()


def test_queue_pages_with_keyset_cursors(client_for, casemanager_user, council, taste):
    now = timezone.now()
    made = [ComplaintFactory(council=council, category=taste, received_at=now - dt.timedelta(minutes=i))
            for i in range(55)]
    client = client_for(casemanager_user)
    first = client.get("/complaints/", {"tab": "all"})
    assert made[0].reference in first.content.decode() and made[54].reference not in first.content.decode()
    cursor = first.context["page"].next_cursor
    second = client.get("/complaints/", {"tab": "all", "after": cursor}).content.decode()
    assert made[54].reference in second and made[0].reference not in second


def test_call_centre_queue_shows_only_its_councils_complaints(client_for, callcentre_user, council, other_council,
                                                             taste):
    own = ComplaintFactory(council=council, category=taste)
    other = ComplaintFactory(council=other_council, category=taste)
    body = client_for(callcentre_user).get("/complaints/", {"tab": "all"}).content.decode()
    assert own.reference in body and other.reference not in body
    assert 'name="council"' not in body  # no council filter for one council


def test_a_job_with_no_customer_asks_for_the_customer_first_and_keeps_the_job(client_for, casemanager_user, council,
                                                                              suburb, taste):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED)  # found by a crew, no enquiry
    customer = CustomerFactory(council=council, name="Mere Tawhiri")
    client = client_for(casemanager_user)
    page = client.get(f"/complaints/new/?job={job.reference}").content.decode()
    assert "has no customer on it yet" in page
    page = client.get("/complaints/new/", {"job": job.reference, "q": "Mere"}).content.decode()
    assert f'href="?job={job.reference}&amp;customer={customer.pk}"' in page
    response = client.post(f"/complaints/new/?job={job.reference}&customer={customer.pk}", _log_data(taste, customer))
    assert response.status_code == 302
    assert Complaint.objects.get().job == job


def test_next_step_tick_buttons_show_for_case_managers_and_the_steps_owner_only(client_for, casemanager_user,
                                                                                callcentre_user, council, taste):
    from complaints.models import ComplaintAction

    complaint = ComplaintFactory(council=council, category=taste, status=ComplaintStatus.AGREED,
                                 cause=ComplaintCauseFactory(), acknowledged_at=timezone.now())
    due = timezone.localdate() + dt.timedelta(days=2)
    ComplaintAction.objects.create(complaint=complaint, text="Ring the customer", owner=callcentre_user, due_on=due,
                                   created_by=casemanager_user)
    ComplaintAction.objects.create(complaint=complaint, text="Book the CCTV", owner=casemanager_user, due_on=due,
                                   created_by=casemanager_user)
    call_centre_page = client_for(callcentre_user).get(f"/complaints/{complaint.reference}/").content.decode()
    assert "Mark done: Ring the customer" in call_centre_page
    assert "Mark done: Book the CCTV" not in call_centre_page
    manager_page = client_for(casemanager_user).get(f"/complaints/{complaint.reference}/").content.decode()
    assert "Mark done: Ring the customer" in manager_page and "Mark done: Book the CCTV" in manager_page
