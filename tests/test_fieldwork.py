"""The crew's field work: assessment facts, flooding events, variations, photos, the crew's
screens at phone size, and a retried submit that records once."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog
from PIL import Image

from enquiries.enums import Service
from jobs import services
from jobs.enums import JobEventKind, JobStatus
from jobs.models import Assessment, FaultType, FloodedProperty, FloodingEvent, JobEvent, JobPhoto, Variation, Visit
from tests.factories import (
    CustomerFactory,
    EnquiryFactory,
    JobFactory,
    assessment_kwargs,
    image_bytes,
    photo_for,
)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def job_at(council, suburb, contractor, casemanager_user, p2, main_leak, leak):
    """A job of the crew's contractor in a given status, with two customers on it."""

    def make(status=JobStatus.DISPATCHED, service=Service.WATER_SUPPLY, customers=2, **extra):
        fields = {"council": council, "suburb": suburb, "status": status, "priority": p2, "category": main_leak,
                  "case_manager": casemanager_user, "contractor": contractor, "service": service,
                  "latitude": "-41.292500", "longitude": "174.775800"}
        if status != JobStatus.DISPATCHED:
            fields["attended_at"] = timezone.now() - timedelta(minutes=30)
        fields.update(extra)
        job = JobFactory(**fields)
        for _ in range(customers):
            EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status="linked",
                           customer=CustomerFactory(council=council), received_at=job.notified_at)
        return job

    return make


# Assessment ---------------------------------------------------------------------------------

def test_assessment_records_the_fault_type_complexity_and_expected_completion(job_at, crew_user):
    job = job_at(JobStatus.ATTENDED)
    expected = timezone.now() + timedelta(hours=5)
    burst = FaultType.objects.get(service=Service.WATER_SUPPLY, code="burst_main")
    job = services.job_record_assessment(job=job, by=crew_user, fault_type=burst, complexity="high",
                                         expected_completion_at=expected, notes="150 mm main split")
    assert job.status == JobStatus.ASSESSED and job.expected_completion_at == expected
    fact = Assessment.objects.get(job=job)
    assert (fact.fault_type, fact.complexity, fact.notes, fact.by) == (burst, "high", "150 mm main split", crew_user)
    assert "Burst main; high complexity" in job.assessment


def test_assessment_refuses_a_fault_type_of_another_service(job_at, crew_user):
    job = job_at(JobStatus.ATTENDED)
    overflow = FaultType.objects.get(service=Service.WASTEWATER, code="overflow")
    with pytest.raises(ValidationError) as error:
        services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs(fault_type=overflow))
    assert "fault_type" in error.value.message_dict
    assert not Assessment.objects.filter(job=job).exists()


def test_assessment_of_a_wastewater_overflow_needs_wet_or_dry_weather(job_at, crew_user):
    job = job_at(JobStatus.ATTENDED, service=Service.WASTEWATER)
    overflow = FaultType.objects.get(service=Service.WASTEWATER, code="overflow")
    with pytest.raises(ValidationError) as error:
        services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs(
            service=Service.WASTEWATER, fault_type=overflow))
    assert "weather" in error.value.message_dict
    services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs(
        service=Service.WASTEWATER, fault_type=overflow, weather="dry"))
    assert Assessment.objects.get(job=job).weather == "dry"


def test_assessment_refuses_an_expected_completion_in_the_past(job_at, crew_user):
    job = job_at(JobStatus.ATTENDED)
    with pytest.raises(ValidationError) as error:
        services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs(hours=-2))
    assert "expected_completion_at" in error.value.message_dict


def test_flooding_event_counts_a_property_once_however_many_jobs_report_it(job_at, crew_user, council):
    flooding = FaultType.objects.get(service=Service.STORMWATER, code="flooding")
    first = job_at(JobStatus.ATTENDED, service=Service.STORMWATER, street_address="12 Tory Street")
    services.job_record_assessment(
        job=first, by=crew_user, habitable_floors=2,
        new_flooding_event={"name": "Storm of 3 May", "area": "Te Aro", "started_at": timezone.now()},
        **assessment_kwargs(service=Service.STORMWATER, fault_type=flooding))
    event = FloodingEvent.objects.get()
    same_house = job_at(JobStatus.ATTENDED, service=Service.STORMWATER, street_address="12  Tory street")
    services.job_record_assessment(job=same_house, by=crew_user, habitable_floors=3, flooding_event=event,
                                   **assessment_kwargs(service=Service.STORMWATER, fault_type=flooding))
    next_door = job_at(JobStatus.ATTENDED, service=Service.STORMWATER, street_address="14 Tory Street")
    services.job_record_assessment(job=next_door, by=crew_user, habitable_floors=1, flooding_event=event,
                                   **assessment_kwargs(service=Service.STORMWATER, fault_type=flooding))
    assert FloodingEvent.objects.count() == 1
    counted = FloodedProperty.objects.filter(event=event)
    assert counted.count() == 2
    assert sum(p.habitable_floors for p in counted) == 3  # 2 (counted once) + 1
    log = StateLog.objects.for_(same_house).get(transition="record_assessment")
    assert "this property is already counted (2 floor(s), from " + first.reference + ")" in log.description
    assert Assessment.objects.filter(flooding_event=event).count() == 3


def test_flooding_needs_the_habitable_floors_and_an_event(job_at, crew_user):
    job = job_at(JobStatus.ATTENDED, service=Service.STORMWATER)
    flooding = FaultType.objects.get(service=Service.STORMWATER, code="flooding")
    with pytest.raises(ValidationError) as error:
        services.job_record_assessment(job=job, by=crew_user,
                                       **assessment_kwargs(service=Service.STORMWATER, fault_type=flooding))
    assert {"habitable_floors", "flooding_event"} <= set(error.value.message_dict)


# Variation: a logged event, not a transition -----------------------------------------------------

def test_variation_is_recorded_by_the_crew_and_logged_on_the_timeline(job_at, crew_user):
    job = job_at(JobStatus.IN_REPAIR)
    new_time = timezone.now() + timedelta(hours=30)
    variation = services.job_record_variation(job=job, by=crew_user, kind="both", reason="Second break found",
                                              expected_completion_at=new_time)
    job.refresh_from_db()
    assert job.status == JobStatus.IN_REPAIR and job.expected_completion_at == new_time
    assert (variation.kind, variation.by) == ("both", crew_user)
    event = JobEvent.objects.get(job=job, kind=JobEventKind.VARIATION)
    assert "Second break found" in event.text and event.by == crew_user


def test_a_job_may_have_many_variations(job_at, crew_user):
    job = job_at(JobStatus.ASSESSED)
    for hours in (10, 20, 30):
        services.job_record_variation(job=job, by=crew_user, kind="timeframe", reason=f"Delay {hours}",
                                      expected_completion_at=timezone.now() + timedelta(hours=hours))
    assert Variation.objects.filter(job=job).count() == 3


@pytest.mark.parametrize("who", ["other_crew_user", "callcentre_user", "analyst_user"])
def test_variation_is_denied_to_the_wrong_role(request, job_at, who):
    job = job_at(JobStatus.IN_REPAIR)
    with pytest.raises(PermissionDenied):
        services.job_record_variation(job=job, by=request.getfixturevalue(who), kind="scope", reason="x",
                                      expected_completion_at=timezone.now() + timedelta(hours=3))
    assert not Variation.objects.filter(job=job).exists()


@pytest.mark.parametrize("status", [JobStatus.DISPATCHED, JobStatus.ATTENDED, JobStatus.COMPLETED])
def test_variation_is_refused_before_the_assessment_and_after_completion(job_at, crew_user, status):
    job = job_at(status)
    with pytest.raises(services.ActionNotAvailable):
        services.job_record_variation(job=job, by=crew_user, kind="scope", reason="x",
                                      expected_completion_at=timezone.now() + timedelta(hours=3))
    assert not Variation.objects.filter(job=job).exists()


# Photos ---------------------------------------------------------------------------------------

def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "S", 2: (41.0, 17.0, 30.0), 3: "E", 4: (174.0, 46.0, 30.0)}
    exif[0x8825] = gps
    return exif.tobytes()


def test_photo_is_stored_privately_without_its_location_and_with_a_thumbnail(job_at, crew_user, client_for):
    job = job_at(JobStatus.ATTENDED)
    raw = image_bytes(size=(1200, 900), exif=_gps_exif())
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the phone's photo has a GPS position
    response = client_for(crew_user).post(reverse("jobs:job-assess", args=[job.reference]), {
        "version": job.version, "fault_type": FaultType.objects.get(service="water_supply", code="burst_main").pk,
        "complexity": "low", "expected_completion_at": _local(timezone.now() + timedelta(hours=4)),
        "photos": [SimpleUploadedFile("IMG_0001.jpg", raw, "image/jpeg"),
                   SimpleUploadedFile("IMG_0002.png", image_bytes(fmt="PNG"), "image/png")],
    })
    assert response.status_code == 302
    photos = list(JobPhoto.objects.filter(job=job))
    assert len(photos) == 2 and photos[0].stage == "assessment"
    with photos[0].image.open("rb") as handle:
        stored = Image.open(io.BytesIO(handle.read()))
    assert not stored.getexif() and "exif" not in stored.info
    with photos[0].thumbnail.open("rb") as handle:
        thumb = Image.open(io.BytesIO(handle.read()))
    assert max(thumb.size) <= 320
    assert "private-media" in photos[0].image.path and "/media/" not in photos[0].image.path


def test_photo_is_served_to_those_who_see_the_job_and_404_to_another_contractor(job_at, crew_user, other_crew_user,
                                                                              casemanager_user, client_for):
    job = job_at(JobStatus.ATTENDED)
    photo = photo_for(job)
    url = reverse("jobs:job-photo", args=[job.reference, photo.pk])
    response = client_for(crew_user).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert client_for(casemanager_user).get(url).status_code == 200
    assert client_for(other_crew_user).get(url).status_code == 404
    # The photo id with another job's reference: not found either.
    other = job_at(JobStatus.ATTENDED)
    assert client_for(crew_user).get(reverse("jobs:job-photo", args=[other.reference, photo.pk])).status_code == 404


@pytest.mark.parametrize(("name", "content", "message"), [
    ("invoice.jpg", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "is not a photo we can open"),
    ("notes.png", b"just some text, not an image at all", "is not a photo we can open"),
    ("cut.jpg", image_bytes()[:200], "is not a photo we can open"),
])
def test_a_file_that_is_not_an_image_is_refused_and_nothing_else_typed_is_lost(job_at, crew_user, client_for, name,
                                                                              content, message):
    job = job_at(JobStatus.ATTENDED)
    response = client_for(crew_user).post(reverse("jobs:job-assess", args=[job.reference]), {
        "version": job.version, "fault_type": FaultType.objects.get(service="water_supply", code="burst_main").pk,
        "complexity": "high", "expected_completion_at": _local(timezone.now() + timedelta(hours=4)),
        "notes": "Main split along 2 m", "photos": [SimpleUploadedFile(name, content, "image/jpeg")],
    })
    assert response.status_code == 400
    text = response.content.decode()
    assert f"{name} {message}" in text
    assert "Main split along 2 m" in text and 'value="high" selected' in text
    assert "Your other entries are kept" in text
    job.refresh_from_db()
    assert job.status == JobStatus.ATTENDED and not JobPhoto.objects.exists()


def test_a_photo_over_the_size_limit_is_refused(job_at, crew_user, client_for, settings):
    settings.PHOTO_MAX_MB = 1
    job = job_at(JobStatus.ATTENDED)
    big = image_bytes() + b"\0" * (1024 * 1024)
    response = client_for(crew_user).post(reverse("jobs:job-photos-add", args=[job.reference]), {
        "version": job.version, "photos": [SimpleUploadedFile("huge.jpg", big, "image/jpeg")]})
    assert response.status_code == 400
    assert "huge.jpg is larger than 1 MB" in response.content.decode()
    assert not JobPhoto.objects.exists()


def test_several_photos_at_once_one_bad_refuses_all_with_a_message_for_it(job_at, crew_user, client_for):
    job = job_at(JobStatus.IN_REPAIR)
    response = client_for(crew_user).post(reverse("jobs:job-photos-add", args=[job.reference]), {
        "version": job.version, "photos": [SimpleUploadedFile("a.jpg", image_bytes(), "image/jpeg"),
                                           SimpleUploadedFile("b.jpg", b"GIF89a nope", "image/jpeg")]})
    assert response.status_code == 400 and "b.jpg is not a photo" in response.content.decode()
    assert not JobPhoto.objects.exists()


# A retried submit records once ----------------------------------------------------------------------

def test_a_retried_arrival_post_records_one_arrival(job_at, crew_user, client_for):
    job = job_at(JobStatus.DISPATCHED)
    client = client_for(crew_user)
    data = {"version": job.version, "arrived_at": "", "backdate_reason": "", "note": ""}
    url = reverse("jobs:job-arrive", args=[job.reference])
    first = client.post(url, data)
    second = client.post(url, data)  # the flaky connection resends the same form
    assert first.status_code == 302
    assert second.status_code in (200, 302, 400)
    assert Visit.objects.filter(job=job).count() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.ATTENDED


def test_a_retried_variation_post_records_one_variation(job_at, crew_user, client_for):
    job = job_at(JobStatus.IN_REPAIR)
    client = client_for(crew_user)
    data = {"version": job.version, "kind": "scope", "reason": "Valve also broken",
            "expected_completion_at": _local(timezone.now() + timedelta(hours=8))}
    url = reverse("jobs:job-variation", args=[job.reference])
    assert client.post(url, data).status_code == 302
    client.post(url, data)
    assert Variation.objects.filter(job=job).count() == 1


# Time rules through the crew's forms --------------------------------------------------------------

def test_arrival_earlier_than_now_needs_a_reason_and_never_before_the_notification(job_at, crew_user, client_for):
    job = job_at(JobStatus.DISPATCHED)
    url = reverse("jobs:job-arrive", args=[job.reference])
    client = client_for(crew_user)
    earlier = job.notified_at + timedelta(minutes=20)
    response = client.post(url, {"version": job.version, "arrived_at": _local(earlier)})
    assert response.status_code == 400 and "Say why the arrival time is earlier than now" in response.content.decode()
    too_early = job.notified_at - timedelta(minutes=5)
    response = client.post(url, {"version": job.version, "arrived_at": _local(too_early), "backdate_reason": "x"})
    assert "after the customer" in response.content.decode()
    future = timezone.now() + timedelta(hours=1)
    response = client.post(url, {"version": job.version, "arrived_at": _local(future)})
    assert "cannot be in the future" in response.content.decode()
    assert not Visit.objects.filter(job=job).exists()
    response = client.post(url, {"version": job.version, "arrived_at": _local(earlier),
                                 "backdate_reason": "No signal on site"})
    assert response.status_code == 302
    assert Visit.objects.get(job=job).backdate_reason == "No signal on site"


def test_completion_records_the_resolution_code_and_notes(job_at, crew_user, client_for):
    from jobs.models import Resolution, ResolutionCode

    job = job_at(JobStatus.IN_REPAIR)
    code = ResolutionCode.objects.get(code="repaired")
    response = client_for(crew_user).post(reverse("jobs:job-complete", args=[job.reference]), {
        "version": job.version, "code": code.pk, "note": "Clamp fitted",
        "photos": [SimpleUploadedFile("done.jpg", image_bytes(), "image/jpeg")]})
    assert response.status_code == 302
    resolution = Resolution.objects.get(job=job)
    assert (resolution.code, resolution.note) == (code, "Clamp fitted")
    assert JobPhoto.objects.get(job=job).stage == "completion"
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED


# The crew's screens -----------------------------------------------------------------------------

def test_crew_queue_puts_overdue_first_then_next_due_and_says_late_or_in(job_at, crew_user, client_for, p2):
    now = timezone.now()
    later = job_at(next_due_at=now + timedelta(hours=3), street_address="1 Later Street")
    late = job_at(next_due_at=now - timedelta(minutes=12, seconds=30), street_address="2 Late Street")
    soon = job_at(next_due_at=now + timedelta(minutes=35, seconds=30), street_address="3 Soon Street")
    text = client_for(crew_user).get(reverse("jobs:crew-queue")).content.decode()
    assert text.index(late.reference) < text.index(soon.reference) < text.index(later.reference)
    assert "12 min late" in text and "in 35 min" in text


def test_crew_queue_search_by_street_or_reference(job_at, crew_user, client_for):
    cuba = job_at(street_address="10 Cuba Street")
    tory = job_at(street_address="5 Tory Street")
    client = client_for(crew_user)
    text = client.get(reverse("jobs:crew-queue"), {"q": "tory"}).content.decode()
    assert tory.reference in text and cuba.reference not in text
    text = client.get(reverse("jobs:crew-queue"), {"q": cuba.reference}).content.decode()
    assert cuba.reference in text and tory.reference not in text
    text = client.get(reverse("jobs:crew-queue"), {"q": "Nowhere Road"}).content.decode()
    assert "No job matches" in text


def test_crew_queue_shows_no_other_contractors_jobs(job_at, crew_user, other_crew_user, client_for):
    mine = job_at()
    text = client_for(other_crew_user).get(reverse("jobs:crew-queue")).content.decode()
    assert mine.reference not in text


def test_crew_queue_costs_the_same_queries_for_one_job_as_for_thirty(job_at, crew_user, client_for):
    client = client_for(crew_user)
    job_at(customers=0)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("jobs:crew-queue")).status_code == 200
        return len(captured.captured_queries)

    one = count()
    for _ in range(29):
        job_at(customers=0)
    assert count() == one


def test_crew_job_card_has_map_links_and_hides_contact_details_unless_site_contact(job_at, crew_user,
                                                                                  casemanager_user, client_for):
    job = job_at(JobStatus.DISPATCHED)
    enquiries = list(job.enquiries.select_related("customer"))
    customer = enquiries[0].customer
    client = client_for(crew_user)
    text = client.get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert "geo:-41.292500,174.775800" in text and "openstreetmap.org/?mlat=-41.292500" in text
    assert "2 callers" in text
    for e in enquiries:
        assert e.customer.phone not in text
    services.job_set_site_contact(job=job, by=casemanager_user, customer=customer, access_notes="Gate code 4321")
    text = client.get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert customer.phone in text and "Site contact" in text and "Gate code 4321" in text
    assert enquiries[1].customer.phone not in text
    event = JobEvent.objects.get(job=job, kind=JobEventKind.SITE_CONTACT)
    # The stored text names no one; the page names the customer to those who may see them.
    assert customer.name not in event.text and "Gate code 4321" in event.text
    assert f"Site contact: {customer.name} on" in text


def test_site_contact_is_set_only_by_a_case_manager_and_only_from_the_jobs_customers(job_at, crew_user,
                                                                                    casemanager_user, council):
    job = job_at()
    with pytest.raises(PermissionDenied):
        services.job_set_site_contact(job=job, by=crew_user, customer=job.enquiries.first().customer)
    with pytest.raises(ValidationError):
        services.job_set_site_contact(job=job, by=casemanager_user, customer=CustomerFactory(council=council))


def test_crew_action_buttons_come_from_the_state_and_predicates(job_at, crew_user, other_crew_user, client_for):
    job = job_at(JobStatus.IN_REPAIR)
    text = client_for(crew_user).get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    for label in ("Complete job", "Record variation", "Add photos", "Log customer update"):
        assert label in text
    assert "Record arrival" not in text and "Start repair" not in text


def test_crew_job_card_costs_the_same_queries_with_twenty_photos_and_callers_as_with_one(job_at, crew_user,
                                                                                       client_for, council, suburb,
                                                                                       leak):
    job = job_at(JobStatus.IN_REPAIR, customers=1)
    photo_for(job)
    client = client_for(crew_user)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("jobs:job-detail", args=[job.reference])).status_code == 200
        return len(captured.captured_queries)

    count()  # warm: the content-type cache fills on the first request
    one = count()
    for _ in range(19):
        photo_for(job)
        EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status="linked",
                       customer=CustomerFactory(council=council), received_at=job.notified_at)
    assert count() == one


def test_crew_queue_all_pages_by_keyset_without_counting(job_at, crew_user, client_for):
    now = timezone.now()
    jobs = [job_at(JobStatus.CLOSED, customers=0, notified_at=now - timedelta(hours=n + 1)) for n in range(35)]
    client = client_for(crew_user)
    first = client.get(reverse("jobs:crew-queue"), {"show": "all"})
    text = first.content.decode()
    assert jobs[0].reference in text and jobs[34].reference not in text  # newest first, 30 a page
    after = first.context["keyset"].next_cursor
    second = client.get(reverse("jobs:crew-queue"), {"show": "all", "after": after}).content.decode()
    assert jobs[34].reference in second and jobs[0].reference not in second
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("jobs:crew-queue"), {"show": "all"})
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


def test_crew_adds_a_note_from_the_job_card(job_at, crew_user, client_for, submission_token):
    job = job_at()
    client = client_for(crew_user)
    page = client.get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert "Add note" in page
    response = client.post(reverse("jobs:job-note", args=[job.reference]),
                           {"text": "Hydrant cap missing", "submission_token": submission_token(crew_user)})
    assert response.status_code == 302
    assert "Hydrant cap missing" in client.get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
