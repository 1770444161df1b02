"""Triage and the job page after a live-call review: order, search, urgency, a duplicate check before
"Create job", warnings before an overdue link, preselected category, one primary action."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enquiries.enums import EnquiryStatus
from enquiries.models import Enquiry
from jobs.enums import JobStatus
from jobs.forms import CategoriseForm, category_matching
from jobs.models import Job, targets_for
from jobs.selectors import job_actions, link_overdue_warning
from tests.factories import CategoryFactory, EnquiryFactory, IssueTypeFactory, JobFactory


def _rows(body: str, *references) -> list:
    return sorted(references, key=lambda ref: body.index(ref))


def test_new_enquiries_sort_oldest_newest_and_most_urgent_first(client_for, casemanager_user, council, suburb,
                                                               leak):
    no_water = IssueTypeFactory(service="water_supply", code="no_water", name="No water", is_urgent=True)
    now = timezone.now()
    old = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, received_at=now - timedelta(hours=5))
    urgent = EnquiryFactory(council=council, suburb=suburb, issue_type=no_water, received_at=now - timedelta(hours=1))
    new = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, received_at=now - timedelta(minutes=5))
    client = client_for(casemanager_user)
    refs = (old.reference, urgent.reference, new.reference)
    oldest = client.get("/jobs/triage/?tab=new").content.decode()
    newest = client.get("/jobs/triage/?tab=new&sort=newest").content.decode()
    most_urgent = client.get("/jobs/triage/?tab=new&sort=urgent").content.decode()
    assert _rows(oldest, *refs) == [old.reference, urgent.reference, new.reference]
    assert _rows(newest, *refs) == [new.reference, urgent.reference, old.reference]
    assert _rows(most_urgent, *refs) == [urgent.reference, old.reference, new.reference]
    # The urgency cue sits on the urgent row only.
    row = most_urgent[most_urgent.index(urgent.reference):most_urgent.index(old.reference)]
    assert "Urgent</span>" in row and most_urgent.count("Urgent</span>") == 1


def test_new_enquiries_search_and_tick_all(client_for, casemanager_user, council, suburb, leak):
    willis = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address="3 Willis Street")
    cuba = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address="5 Cuba Street")
    body = client_for(casemanager_user).get("/jobs/triage/?tab=new&q=willis").content.decode()
    assert willis.reference in body and cuba.reference not in body
    assert 'data-select-all="enquiries"' in body and 'aria-label="Tick all on this page"' in body


def test_new_enquiries_keep_their_query_count(client_for, casemanager_user, council, suburb, leak,
                                              django_assert_max_num_queries):
    client = client_for(casemanager_user)
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    with django_assert_max_num_queries(12) as one:
        client.get("/jobs/triage/?tab=new&sort=urgent")
    EnquiryFactory.create_batch(20, council=council, suburb=suburb, issue_type=leak)
    with django_assert_max_num_queries(len(one)):
        client.get("/jobs/triage/?tab=new&sort=urgent")


def test_create_job_asks_first_when_an_open_job_nearby_may_be_the_same_fault(client_for, casemanager_user,
                                                                           council, suburb, leak, submission_token):
    open_job = JobFactory(council=council, suburb=suburb, street_address="20 Brooklyn Road")
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address="22 Brooklyn Road")
    client = client_for(casemanager_user)
    token = submission_token(casemanager_user)
    response = client.post("/jobs/create/", {"enquiries": [enquiry.pk], "next": "/jobs/triage/?tab=new",
                                             "submission_token": token})
    body = response.content.decode()
    assert response.status_code == 200 and Job.objects.count() == 1
    assert "Is this the same fault as an open job?" in body
    assert f"Link to job {open_job.reference}" in body and "next door" in body
    assert "Create a new job anyway" in body
    assert body.count(f'name="submission_token" value="{token}"') == 2  # the triage form's token goes on

    # One click links it.
    response = client.post("/jobs/create/", {"enquiries": [enquiry.pk], "link_job": open_job.reference,
                                             "submission_token": token})
    assert response.status_code == 302 and response["Location"] == f"/jobs/{open_job.reference}/"
    enquiry.refresh_from_db()
    assert enquiry.job == open_job and enquiry.status == EnquiryStatus.LINKED and Job.objects.count() == 1

    # A second click on either button, or on Create job itself, goes to that result and does nothing more.
    for extra in ({"link_job": open_job.reference}, {"confirmed": "1"}, {}):
        response = client.post("/jobs/create/", {"enquiries": [enquiry.pk], "submission_token": token, **extra},
                               follow=True)
        assert response.redirect_chain[-1][0] == f"/jobs/{open_job.reference}/"
        assert "This was already recorded" in response.content.decode()
    assert Job.objects.count() == 1


def test_create_job_anyway_makes_a_new_job_once(client_for, casemanager_user, council, suburb, leak,
                                               submission_token):
    JobFactory(council=council, suburb=suburb, street_address="20 Brooklyn Road")
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address="22 Brooklyn Road")
    client = client_for(casemanager_user)
    data = {"enquiries": [enquiry.pk], "confirmed": "1", "submission_token": submission_token(casemanager_user)}
    response = client.post("/jobs/create/", data)
    assert response.status_code == 302 and Job.objects.count() == 2
    enquiry.refresh_from_db()
    assert enquiry.job.reference in response["Location"]
    again = client.post("/jobs/create/", data)
    assert again.status_code == 302 and again["Location"] == response["Location"] and Job.objects.count() == 2


def test_create_job_without_a_nearby_job_goes_straight_ahead(client_for, casemanager_user, council, suburb, leak,
                                                             submission_token):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address="22 Brooklyn Road")
    response = client_for(casemanager_user).post("/jobs/create/", {
        "enquiries": [enquiry.pk], "submission_token": submission_token(casemanager_user)})
    assert response.status_code == 302 and Job.objects.count() == 1


@pytest.fixture
def job_due_soon(council, suburb, p2, main_leak):
    """A P2 job (attend within 4 h) notified 3 hours ago: in time, for now."""
    notified = timezone.now() - timedelta(hours=3)
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.TRIAGED, priority=p2, category=main_leak,
                     street_address="20 Brooklyn Road", notified_at=notified)
    job.move_notification(notified, targets_for(priority=p2, council_id=council.pk, service=job.service))
    job.save()
    assert not job.is_overdue
    return job


def test_linking_an_earlier_enquiry_that_makes_the_job_overdue_is_said_before(job_due_soon):
    received = timezone.now() - timedelta(hours=6)
    warning = link_overdue_warning(job=job_due_soon, received_at=received)
    assert f"Linking makes {job_due_soon.reference} overdue" in warning and "attendance target" in warning
    assert link_overdue_warning(job=job_due_soon, received_at=timezone.now() - timedelta(hours=3, minutes=30)) == ""
    assert link_overdue_warning(job=job_due_soon, received_at=timezone.now()) == ""


def test_link_page_warns_and_asks_again_before_an_overdue_link(client_for, casemanager_user, council, suburb, leak,
                                                               job_due_soon, submission_token):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address="22 Brooklyn Road",
                             received_at=timezone.now() - timedelta(hours=6))
    client = client_for(casemanager_user)
    page = client.get(f"/enquiries/{enquiry.reference}/link/").content.decode()
    assert f"Linking makes {job_due_soon.reference} overdue" in page

    token = submission_token(casemanager_user)
    response = client.post(f"/enquiries/{enquiry.reference}/link/", {"job_reference": job_due_soon.reference,
                                                                     "submission_token": token})
    assert response.status_code == 400 and "Link again to go ahead" in response.content.decode()
    assert f'value="{token}"' in response.content.decode()  # the same token, so "Link again" is still one link
    assert Enquiry.objects.get(pk=enquiry.pk).job is None

    response = client.post(f"/enquiries/{enquiry.reference}/link/",
                           {"job_reference": job_due_soon.reference, "confirm_overdue": "1",
                            "submission_token": token})
    assert response.status_code == 302
    job_due_soon.refresh_from_db()
    assert job_due_soon.is_overdue


def test_log_enquiry_duplicates_warn_when_a_backdated_call_makes_the_job_overdue(client_for, callcentre_user,
                                                                                council, job_due_soon):
    received = timezone.localtime(timezone.now() - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")
    body = client_for(callcentre_user).get("/enquiries/duplicates/", {
        "council": council.pk, "street_address": "22 Brooklyn Road", "received_at": received,
    }).content.decode()
    assert f"Linking makes {job_due_soon.reference} overdue" in body


def test_categorise_preselects_the_category_matching_the_issue_type(council, suburb):
    burst = IssueTypeFactory(service="water_supply", code="burst_main", name="Burst main")
    CategoryFactory(service="water_supply", name="Water main leak", sort_order=10)
    main_burst = CategoryFactory(service="water_supply", name="Water main burst", sort_order=20)
    job = JobFactory(council=council, suburb=suburb)
    EnquiryFactory(council=council, suburb=suburb, issue_type=burst, job=job, status=EnquiryStatus.LINKED)
    form = CategoriseForm(job=job, initial={"version": job.version})
    assert form["category"].value() == main_burst.pk


def test_category_matching_prefers_the_same_name_and_gives_up_when_nothing_matches():
    class Named:
        def __init__(self, name):
            self.name = name

    categories = [Named("Water main burst"), Named("Odour"), Named("Supply outage")]
    assert category_matching(Named("Odour"), categories).name == "Odour"
    assert category_matching(Named("Burst main"), categories).name == "Water main burst"
    assert category_matching(Named("No water"), categories) is None


def test_one_primary_action_and_steps_taken_again_say_so(casemanager_user, council, suburb, p2, main_leak,
                                                         contractor):
    allocated = JobFactory(council=council, suburb=suburb, status=JobStatus.ALLOCATED, priority=p2,
                           category=main_leak, case_manager=casemanager_user)
    actions = {a.label: a.style for a in job_actions(job=allocated, user=casemanager_user)}
    assert actions["Dispatch to contractor"] == "primary"
    assert actions["Change case manager"] == "outline-primary"
    assert actions["Change category or priority"] == "outline-primary"
    assert list(actions.values()).count("primary") == 1

    dispatched = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2,
                            category=main_leak, case_manager=casemanager_user, contractor=contractor)
    labels = [a.label for a in job_actions(job=dispatched, user=casemanager_user)]
    assert "Change contractor" in labels and "Dispatch to contractor" not in labels


def test_the_change_contractor_page_says_so(client_for, casemanager_user, council, suburb, p2, main_leak,
                                            contractor):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2, category=main_leak,
                     case_manager=casemanager_user, contractor=contractor)
    body = client_for(casemanager_user).get(f"/jobs/{job.reference}/dispatch/").content.decode()
    assert '<h2 class="h4">Change contractor</h2>' in body
    assert '<button class="btn btn-primary" type="submit">Change contractor</button>' in body


def test_enquiry_list_shows_the_linked_jobs_status_and_keeps_references_whole(client_for, casemanager_user, council,
                                                                             suburb, leak):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED)
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status=EnquiryStatus.LINKED)
    body = client_for(casemanager_user).get("/enquiries/").content.decode()
    cell = body[body.index('<td data-label="Job"'):]
    cell = cell[:cell.index("</td>")]
    assert 'class="text-nowrap"' in cell and job.reference in cell and "Dispatched" in cell


def test_the_job_page_links_the_address_to_a_map_and_shows_dispatch_instructions(client_for, crew_user,
                                                                                 casemanager_user,
                                                                                 dispatched_job_with_note):
    body = client_for(casemanager_user).get(f"/jobs/{dispatched_job_with_note.reference}/").content.decode()
    assert "https://www.google.com/maps/search/?api=1&amp;query=" in body
    top = body[:body.index('id="timeline"')]
    assert "Dispatch instructions" in top and "Bring a 100 mm clamp" in top
    # The crew's own job card has them first, before where the job is and what to do.
    card = client_for(crew_user).get(f"/jobs/{dispatched_job_with_note.reference}/").content.decode()
    first = card[:card.index('id="where-heading"')]
    assert "Dispatch instructions" in first and "Bring a 100 mm clamp" in first


@pytest.fixture
def dispatched_job_with_note(council, suburb, casemanager_user, contractor, p2, main_leak):
    from jobs import services

    job = JobFactory(council=council, suburb=suburb, status=JobStatus.ALLOCATED, priority=p2, category=main_leak,
                     case_manager=casemanager_user)
    return services.job_dispatch(job=job, contractor=contractor, by=casemanager_user,
                                 note="Bring a 100 mm clamp; traffic management needed.")


def test_notes_and_descriptions_have_length_limits(client_for, casemanager_user, dispatched_job_with_note,
                                                  submission_token):
    response = client_for(casemanager_user).post(f"/jobs/{dispatched_job_with_note.reference}/notes/", {
        "text": "x" * 10_000, "submission_token": submission_token(casemanager_user)})
    assert response.status_code == 400
    assert "Ensure this value has at most 2000 characters" in response.content.decode()
