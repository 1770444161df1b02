"""Photos cannot exhaust a worker's memory: pixels checked from the header before decoding,
Pillow's bomb guard an error, files and bytes per request bounded, stored scaled for display."""

import io
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from jobs.enums import JobStatus
from jobs.models import JobPhoto
from jobs.photos import photo_check, photos_check
from tests.factories import image_bytes
from tests.test_fieldwork import job_at  # noqa: F401 (a fixture)


def _png(width: int, height: int) -> bytes:
    """A tiny file that opens as a huge image: one colour compresses to almost nothing."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG", optimize=True)
    return out.getvalue()


def test_a_small_file_of_too_many_pixels_is_refused_before_any_pixel_is_decoded():
    raw = _png(7745, 7745)  # just under Pillow's own 60 MP limit: it would decode to 180 MB
    assert len(raw) < 200_000
    with mock.patch.object(Image.Image, "load", side_effect=AssertionError("decoded")) as load, \
            pytest.raises(ValidationError) as refused:
        photo_check(SimpleUploadedFile("bomb.png", raw, "image/png"))
    assert load.call_count == 0
    assert "bomb.png is too large an image (7745 × 7745 pixels): at most 40 megapixels" in refused.value.messages[0]


def test_the_pixel_limit_is_a_setting(settings):
    settings.PHOTO_MAX_MEGAPIXELS = 0.5
    with pytest.raises(ValidationError, match="at most 0.5 megapixels"):
        photo_check(SimpleUploadedFile("wide.png", _png(1000, 600), "image/png"))
    assert photo_check(SimpleUploadedFile("ok.png", _png(600, 600), "image/png")).image.size == (600, 600)


def test_pillows_decompression_bomb_warning_is_an_error(settings):
    settings.PHOTO_MAX_MEGAPIXELS = 1000  # our own check out of the way: Pillow's guard still holds
    with mock.patch.object(Image, "MAX_IMAGE_PIXELS", 100_000), pytest.raises(ValidationError) as refused:
        photo_check(SimpleUploadedFile("big.png", _png(400, 400), "image/png"))
    assert "more pixels than a photo needs" in refused.value.messages[0]


def test_more_photos_than_a_request_takes_are_refused_with_a_message(settings):
    files = [SimpleUploadedFile(f"p{i}.jpg", image_bytes(), "image/jpeg") for i in range(settings.PHOTO_MAX_FILES + 1)]
    with mock.patch("jobs.photos.photo_check") as check, pytest.raises(ValidationError) as refused:
        photos_check(files)
    assert check.call_count == 0
    assert f"At most {settings.PHOTO_MAX_FILES} photos at once: {settings.PHOTO_MAX_FILES + 1} were chosen" \
        in refused.value.messages[0]


def test_photos_over_the_total_bytes_of_a_request_are_refused(settings):
    settings.PHOTO_MAX_TOTAL_MB = 1
    files = [SimpleUploadedFile(f"p{i}.jpg", b"x" * 400_000, "image/jpeg") for i in range(3)]
    with pytest.raises(ValidationError, match="more than 1 MB together"):
        photos_check(files)


def test_a_stored_photo_is_scaled_down_for_display_and_records_its_stored_size(
        job_at, crew_user, client_for, settings):  # noqa: F811
    settings.PHOTO_DISPLAY_MAX_EDGE = 500
    job = job_at(JobStatus.ATTENDED)
    response = client_for(crew_user).post(reverse("jobs:job-photos-add", args=[job.reference]), {
        "version": job.version, "photos": [SimpleUploadedFile("wide.jpg", image_bytes(size=(1600, 800)),
                                                              "image/jpeg")]})
    assert response.status_code == 302
    photo = JobPhoto.objects.get(job=job)
    with photo.image.open("rb") as handle:
        assert Image.open(io.BytesIO(handle.read())).size == (500, 250)
    assert (photo.width, photo.height) == (500, 250)


def test_eleven_photos_in_one_request_answer_the_form_with_a_message(job_at, crew_user, client_for):  # noqa: F811
    job = job_at(JobStatus.ATTENDED)
    response = client_for(crew_user).post(reverse("jobs:job-photos-add", args=[job.reference]), {
        "version": job.version,
        "photos": [SimpleUploadedFile(f"p{i}.jpg", image_bytes(), "image/jpeg") for i in range(11)]})
    assert response.status_code == 400
    assert "At most 10 photos at once" in response.content.decode()
    assert not JobPhoto.objects.filter(job=job).exists()
