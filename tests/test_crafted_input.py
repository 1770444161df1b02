"""Crafted input is refused centrally: NUL and over-long values, references that cannot be
references; and every page carries the Content-Security-Policy and Permissions-Policy."""

import pytest

from jobs.enums import JobStatus
from tests.factories import EnquiryFactory, JobFactory


@pytest.mark.parametrize("path", ["/jobs/%00/", "/enquiries/x%00/", "/jobs/JOB-2026-000001%00/notes/"])
def test_a_nul_in_the_path_is_a_400_with_a_message(client_for, casemanager_user, callcentre_user, path):
    for user in (casemanager_user, callcentre_user):
        response = client_for(user).get(path)
        assert response.status_code == 400, path
        assert "The address contains a NUL character" in response.content.decode()


@pytest.mark.parametrize("path", ["/jobs/\x00/", "/enquiries/x\x00/", "/jobs/JOB-2026-000001\x00/notes/",
                                  "/enquiries/" + "E" * 5000 + "/", "/jobs/job-2026-000001/",
                                  "/enquiries/customers/99999999999999999999/pick/", "/enquiries/customers/0/pick/"])
def test_the_path_converters_refuse_what_cannot_be_a_reference_or_an_id(path):
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve(path)


@pytest.mark.parametrize("path", ["/enquiries/" + "E" * 5000 + "/", "/enquiries/customers/99999999999999999999/pick/",
                                  "/jobs/DROP-TABLE/"])
def test_a_reference_that_cannot_be_one_answers_404(client_for, casemanager_user, callcentre_user, path):
    for user in (casemanager_user, callcentre_user):
        response = client_for(user).get(path)
        assert response.status_code == 404, path
        assert "We couldn't find that" in response.content.decode()


def test_real_references_still_resolve():
    from django.urls import resolve

    assert resolve("/jobs/JOB-2026-000123/").kwargs == {"reference": "JOB-2026-000123"}
    assert resolve("/enquiries/ENQ-2027-1234567/link/").kwargs == {"reference": "ENQ-2027-1234567"}
    assert resolve("/enquiries/customers/42/pick/").kwargs == {"pk": 42}


@pytest.mark.parametrize(("path", "params"), [
    ("/enquiries/duplicates/", {"council": "1", "service": "water\x00supply", "street_address": "1 Cuba St"}),
    ("/enquiries/", {"q": "Cuba\x00"}),
    ("/enquiries/customers/search/", {"customer_query": "Ar\x00oha"}),
    ("/enquiries/", {"council\x00": "1"}),
])
def test_a_nul_in_a_query_parameter_is_a_400_with_a_message(client_for, callcentre_user, path, params):
    response = client_for(callcentre_user).get(path, params)
    assert response.status_code == 400
    assert "contains a NUL character" in response.content.decode()


def test_an_over_long_query_value_is_a_400(client_for, callcentre_user, settings):
    response = client_for(callcentre_user).get("/enquiries/", {"q": "x" * (settings.MAX_QUERY_VALUE_LENGTH + 1)})
    assert response.status_code == 400
    assert "is longer than 1,000 characters" in response.content.decode()
    assert client_for(callcentre_user).get("/enquiries/", {"q": "x" * 500}).status_code == 200


def test_a_nul_in_a_form_is_refused_before_anything_is_saved(client_for, casemanager_user, council, suburb, p2,
                                                             main_leak):
    from jobs.models import JobEvent

    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2, category=main_leak)
    response = client_for(casemanager_user).post(f"/jobs/{job.reference}/notes/", {"text": "valve\x00seized"})
    assert response.status_code == 400
    assert "contains a NUL character" in response.content.decode()
    assert not JobEvent.objects.exists()
    assert client_for(casemanager_user).post(f"/jobs/{job.reference}/notes/", {"text": "x" * 25_000}).status_code == 400


def test_a_nul_in_the_login_form_is_a_400_not_a_500(client):
    assert client.post("/accounts/login/", {"username": "admin\x00", "password": "x"}).status_code == 400


@pytest.mark.postgres
def test_nul_paths_and_parameters_never_reach_postgresql(client_for, callcentre_user, council, suburb, leak):
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    client = client_for(callcentre_user)
    assert client.get("/enquiries/x%00/").status_code == 400
    assert client.get("/enquiries/duplicates/", {"council": council.pk, "service": "\x00",
                                                 "street_address": "Cuba"}).status_code == 400


# Headers -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/accounts/login/", "/enquiries/new/", "/enquiries/duplicates/"])
def test_every_page_has_a_content_security_policy_without_inline_script(client_for, callcentre_user, path):
    response = client_for(callcentre_user).get(path)
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_have_a_permissions_policy(client):
    policy = client.get("/accounts/login/")["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


def _templates():
    from pathlib import Path

    return sorted((Path(__file__).resolve().parents[1] / "templates").rglob("*.html"))


@pytest.mark.parametrize("template", _templates(), ids=lambda p: p.name)
def test_templates_carry_no_inline_script_style_or_handlers(template):
    import re

    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>: move it to static/js"
    assert not re.search(r"\sstyle=\"", text), "inline style attribute: use a class in static/css"
    assert not re.search(r"\son[a-z]+=\"", text), "inline event handler: use addEventListener in static/js"
    assert "hx-on" not in text, "hx-on handlers are inline script"


def test_the_job_page_renders_without_inline_style(client_for, casemanager_user, council, suburb, p2, main_leak,
                                                   leak):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2, category=main_leak)
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status="linked")
    body = client_for(casemanager_user).get(f"/jobs/{job.reference}/").content.decode()
    assert ' style="' not in body and "<script>" not in body
