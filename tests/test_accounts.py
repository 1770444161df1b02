"""Logging in and out, lockout after repeated failures, password reset, homes and navigation per role."""

import pytest
from django.core import mail

from common.models import OutboxMessage
from tests.factories import PASSWORD, UserFactory

ROLE_HOMES = {
    "callcentre": ("/enquiries/home/", "Log enquiry"),
    "casemanager": ("/jobs/triage/", "New enquiries"),
    "crew": ("/jobs/crew/", "Jobs for Citycare"),
    "analyst": ("/reporting/", "Dashboard"),
    "admin": ("/accounts/admin-home/", "Reference data"),
}
NAV = {
    "callcentre": {"Log enquiry", "Enquiries"},
    "casemanager": {"Enquiries", "Triage", "Reports"},
    "crew": {"Our jobs"},
    "analyst": {"Enquiries", "Dashboard", "Reports"},
    "admin": {"Admin"},
}
ALL_NAV = {"Log enquiry", "Enquiries", "Triage", "Our jobs", "Dashboard", "Reports", "Admin"}


@pytest.mark.parametrize("role", sorted(ROLE_HOMES))
def test_logging_in_lands_each_role_on_its_own_home(client, user_for_role, role):
    user = user_for_role(role)
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}, follow=True)
    path, heading = ROLE_HOMES[role]
    assert response.redirect_chain[-1][0] == path
    assert heading in response.content.decode()


@pytest.mark.parametrize("role", sorted(NAV))
def test_navigation_shows_only_what_the_role_may_use(client_for, user_for_role, role):
    body = client_for(user_for_role(role)).get(ROLE_HOMES[role][0]).content.decode()
    nav = body.split('id="main-nav"')[1].split("</ul>")[0]
    shown = {label for label in ALL_NAV if f">{label}</a>" in nav}
    assert shown == NAV[role]


def test_a_user_with_no_role_is_told_to_ask_for_one(client_for, council):
    user = UserFactory(username="nobody", organisation=council)
    response = client_for(user).get("/")
    assert response.status_code == 403 and b"has no role yet" in response.content


def test_wrong_password_is_refused_with_a_message(client, callcentre_user):
    response = client.post("/accounts/login/", {"username": "callcentre", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_repeated_failed_logins_lock_the_account_out(client, callcentre_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "callcentre", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "callcentre", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content


def test_logout_is_a_post_and_ends_the_session(client_for, callcentre_user):
    client = client_for(callcentre_user)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/enquiries/home/").status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(client, callcentre_user,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/accounts/password_reset/", {"email": callcentre_user.email})
    # The request only wrote an outbox row; the e-mail leaves after the commit, from a task.
    assert mail.outbox == [] and len(callbacks) == 1
    message = OutboxMessage.objects.get()
    assert message.recipient == callcentre_user.email and message.about == callcentre_user
    callbacks[0]()
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line).strip()
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "a-new-pass-9812", "new_password2": "a-new-pass-9812"},
                           follow=True)
    assert b"Password set" in response.content
    response = client.post("/accounts/login/", {"username": "callcentre", "password": "a-new-pass-9812"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_password_change_keeps_the_user_logged_in(client_for, casemanager_user):
    client = client_for(casemanager_user)
    response = client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "another-pass-7765", "new_password2": "another-pass-7765",
    }, follow=True)
    assert b"Password changed" in response.content
    assert client.get("/jobs/triage/").status_code == 200


def test_error_pages_are_in_the_house_style(client_for, casemanager_user):
    client = client_for(casemanager_user)
    not_found = client.get("/jobs/JOB-2026-999999/")
    assert not_found.status_code == 404 and b"Customer Journey" in not_found.content
    forbidden = client.get("/reporting/")
    assert forbidden.status_code == 403 and b"do that here" in forbidden.content


def test_server_error_page_renders_without_a_request_context():
    from config.views import server_error

    response = server_error(None)
    assert response.status_code == 500 and b"Something went wrong on our side" in response.content


def test_csrf_is_enforced_on_state_changes(callcentre_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(callcentre_user)
    assert client.post("/enquiries/new/", {}).status_code == 403


@pytest.mark.parametrize(("path", "current"), [
    ("/enquiries/home/", None), ("/enquiries/", "Enquiries"), ("/enquiries/new/", "Log enquiry"),
])
def test_the_navigation_marks_one_current_page_at_most(client_for, callcentre_user, path, current):
    body = client_for(callcentre_user).get(path).content.decode()
    nav = body.split('id="main-nav"')[1].split("</ul>")[0]
    marked = [chunk.split(">", 1)[1].split("<")[0] for chunk in nav.split('aria-current="page"')[1:]]
    assert marked == ([current] if current else [])


def test_users_are_made_inactive_in_the_admin_not_deleted(admin_user, callcentre_user, client_for):
    """The history names whoever acted and cannot be changed, so the admin offers no delete."""
    from django.urls import reverse

    client = client_for(admin_user)
    change = client.get(reverse("admin:accounts_user_change", args=[callcentre_user.pk])).content.decode()
    assert f"{callcentre_user.pk}/delete/" not in change
    assert client.get(reverse("admin:accounts_user_delete", args=[callcentre_user.pk])).status_code in (302, 403)
    assert type(callcentre_user).objects.filter(pk=callcentre_user.pk).exists()
