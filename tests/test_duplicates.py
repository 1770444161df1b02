"""Possible duplicates: open jobs of the same service nearby or on the same street, last 14 days."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from enquiries.selectors import distance_m, duplicate_candidates
from jobs.enums import JobStatus
from tests.factories import JobFactory

CUBA = (Decimal("-41.293500"), Decimal("174.775000"))


def _near(metres_north: float):
    # One degree of latitude is about 111.32 km.
    return CUBA[0] + Decimal(f"{metres_north / 111_320:.6f}"), CUBA[1]


@pytest.fixture
def job_at(council, suburb):
    def make(metres_north=0.0, hours_ago=1.0, **extra):
        lat, lng = _near(metres_north)
        fields = {"council": council, "suburb": suburb, "status": JobStatus.DISPATCHED, "latitude": lat,
                  "longitude": lng, "street_address": "1 Other Road",
                  "notified_at": timezone.now() - timedelta(hours=hours_ago)}
        fields.update(extra)
        return JobFactory(**fields)

    return make


def _search(user, council, **kwargs):
    params = {"user": user, "council_id": council.pk, "service": "water_supply", "latitude": CUBA[0],
              "longitude": CUBA[1], "radius_m": 200}
    params.update(kwargs)
    return duplicate_candidates(**params)


def test_haversine_distance_is_right_within_a_metre():
    assert abs(distance_m(-41.2935, 174.7750, -41.2935 + 100 / 111_320, 174.7750) - 100) < 1


def test_candidates_are_ranked_nearest_first_then_newest(callcentre_user, council, job_at):
    far = job_at(metres_north=150, hours_ago=1)
    near_old = job_at(metres_north=20, hours_ago=30)
    near_new = job_at(metres_north=20, hours_ago=2)
    ranked = [c.job for c in _search(callcentre_user, council)]
    assert ranked == [near_new, near_old, far]


def test_candidates_leave_out_what_is_not_a_plausible_duplicate(callcentre_user, council, other_council, job_at,
                                                                 other_suburb):
    match = job_at(metres_north=50)
    job_at(metres_north=260)  # outside the radius
    job_at(metres_north=10, service="wastewater")  # other service
    job_at(metres_north=10, status=JobStatus.CLOSED)  # no longer open
    job_at(metres_north=10, hours_ago=24 * 15)  # older than 14 days
    job_at(metres_north=10, council=other_council, suburb=other_suburb)  # another council
    assert [c.job for c in _search(callcentre_user, council)] == [match]


def test_same_street_matches_without_coordinates(callcentre_user, council, job_at):
    same_street = job_at(metres_north=5000, street_address="140 Cuba Street")
    found = _search(callcentre_user, council, latitude=None, longitude=None, street_address="12A Cuba St")
    assert [c.job for c in found] == [same_street]
    assert found[0].same_street and found[0].distance_m is None


def test_the_radius_comes_from_the_issue_type(client_for, callcentre_user, council, job_at, leak):
    job_at(metres_north=300)
    leak.duplicate_radius_m = 400
    leak.save()
    response = client_for(callcentre_user).get("/enquiries/duplicates/", {
        "council": council.pk, "service": "water_supply", "issue_type": leak.pk,
        "latitude": str(CUBA[0]), "longitude": str(CUBA[1]), "street_address": "5 Willis Street"})
    assert b"Link to job" in response.content and b"300 m away" in response.content


def test_duplicate_panel_ignores_a_council_out_of_scope(client_for, callcentre_user, other_council, other_suburb,
                                                        job_at):
    job_at(metres_north=10, council=other_council, suburb=other_suburb)
    response = client_for(callcentre_user).get("/enquiries/duplicates/", {
        "council": other_council.pk, "service": "water_supply", "latitude": str(CUBA[0]),
        "longitude": str(CUBA[1])})
    assert response.status_code == 200 and b"Link to job" not in response.content


def test_duplicate_panel_survives_nonsense_input(client_for, callcentre_user, council):
    response = client_for(callcentre_user).get("/enquiries/duplicates/", {
        "council": "abc", "service": "water_supply", "latitude": "NaN", "longitude": "1e999"})
    assert response.status_code == 200


def test_a_nearer_job_is_not_crowded_out_by_many_newer_ones_on_the_same_street(callcentre_user, council, job_at):
    nearest = job_at(metres_north=5, hours_ago=100, street_address="1 Other Road")
    for n in range(120):
        job_at(metres_north=5000, hours_ago=1 + n / 100, street_address=f"{n} Cuba Street")
    found = _search(callcentre_user, council, street_address="12 Cuba Street")
    assert found[0].job == nearest
