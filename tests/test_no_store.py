"""Nothing personal is cached: signed-in pages and photos answer Cache-Control: no-store."""

from django.urls import reverse

from jobs.enums import JobStatus
from tests.factories import photo_for
from tests.test_fieldwork import job_at  # noqa: F401 (a fixture)


def test_signed_in_pages_and_photos_answer_no_store(job_at, casemanager_user, crew_user, client_for):  # noqa: F811
    job = job_at(JobStatus.ATTENDED)
    photo = photo_for(job)
    for user, url in [
        (casemanager_user, reverse("jobs:job-detail", args=[job.reference])),
        (casemanager_user, reverse("jobs:triage")),
        (crew_user, reverse("jobs:job-photo", args=[job.reference, photo.pk])),
        (crew_user, reverse("jobs:job-photo-thumb", args=[job.reference, photo.pk])),
    ]:
        response = client_for(user).get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url

