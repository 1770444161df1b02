"""Date-times typed as the clock showed them, across daylight saving (common.forms.LocalDateTimeField).

New Zealand's clocks go back from 03:00 NZDT to 02:00 NZST on the first Sunday of April,
so 02:00-02:59 happens twice; they go forward from 02:00 to 03:00 on the last Sunday of
September, so that hour never shows.
"""

from datetime import UTC, datetime

import pytest
from django import forms

from common.forms import LocalDateTimeField
from enquiries.models import Enquiry


class WhenForm(forms.Form):
    when = LocalDateTimeField()


def _form(text, offset=None):
    data = {"when": text}
    if offset is not None:
        data["when_offset"] = offset
    return WhenForm(data)


def test_a_time_in_the_repeated_hour_asks_which_one():
    form = _form("2027-04-04T02:30")
    assert not form.is_valid()
    assert form.errors["when"] == [
        "02:30 on Sunday 4 April 2027 happened twice: the clocks went back an hour that night, when daylight "
        "saving ended. Choose which 02:30: NZDT (+13:00), the first or NZST (+12:00), the second."
    ]
    html = str(form["when"])
    assert "02:30 happened twice that night: which one?" in html
    assert 'name="when_offset" id="id_when_offset_0" value="+13:00"' in html
    assert '<label class="form-check-label" for="id_when_offset_0">02:30 NZDT (+13:00), the first</label>' in html
    assert 'value="+12:00"' in html and "02:30 NZST (+12:00), the second, an hour later" in html


@pytest.mark.parametrize(("offset", "instant"), [
    ("+13:00", datetime(2027, 4, 3, 13, 30, tzinfo=UTC)),  # NZDT, the first 02:30
    ("+12:00", datetime(2027, 4, 3, 14, 30, tzinfo=UTC)),  # NZST, an hour later
])
def test_a_time_in_the_repeated_hour_is_accepted_with_the_chosen_offset(offset, instant):
    form = _form("2027-04-04T02:30", offset)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["when"] == instant
    assert form.cleaned_data["when"].astimezone(UTC) == instant


def test_the_chosen_offset_stays_chosen_when_the_form_is_shown_again():
    form = _form("2027-04-04T02:30", "+12:00")
    html = str(form["when"])
    assert 'value="+12:00" checked' in html and 'value="+13:00" checked' not in html


def test_a_stored_second_time_is_shown_with_its_offset_chosen():
    stored = datetime(2027, 4, 3, 14, 30, tzinfo=UTC)  # 02:30 NZST, the second one
    html = str(WhenForm(initial={"when": stored})["when"])
    assert 'value="2027-04-04T02:30"' in html and 'value="+12:00" checked' in html


def test_a_time_in_the_skipped_hour_is_refused_with_the_time_the_clock_showed():
    form = _form("2027-09-26T02:30")
    assert not form.is_valid()
    assert form.errors["when"] == [
        "02:30 on Sunday 26 September 2027 never showed on the clock: the clocks went forward an hour that night, "
        "when daylight saving began. Check the time: did you mean 03:30 NZDT?"
    ]
    assert "when_offset" not in str(form["when"])


@pytest.mark.parametrize("text", ["2027-04-04T01:59", "2027-04-04T03:00", "2026-11-28T09:15"])
def test_an_ordinary_time_needs_no_choice_and_offers_none(text):
    form = _form(text, "+13:00")  # a stale choice from an earlier showing is ignored
    assert form.is_valid(), form.errors
    assert "when_offset" not in str(form["when"])


def test_the_offset_choice_is_ignored_when_it_is_neither_of_the_two():
    form = _form("2027-04-04T02:30", "+05:00")
    assert not form.is_valid() and "happened twice" in form.errors["when"][0]


@pytest.fixture
def long_backdating(settings):
    settings.BACKDATE_MAX_DAYS = 3650  # the most recent repeated hour, 5 April 2026, is months ago


def _log_enquiry_data(user, council, suburb, leak, **overrides):
    from common.submissions import submission_token_new

    data = {
        "submission_token": submission_token_new(user=user), "customer_name": "Aroha Ngata",
        "customer_phone": "021 555 0101", "preferred_channel": "phone", "council": council.pk,
        "street_address": "12 Cuba Street", "suburb": suburb.pk, "service": "water_supply", "issue_type": leak.pk,
        "description": "Burst at the corner", "channel": "phone", "backdate_reason": "After-hours voicemail",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(("offset", "instant"), [
    ("+13:00", datetime(2026, 4, 4, 13, 30, tzinfo=UTC)),
    ("+12:00", datetime(2026, 4, 4, 14, 30, tzinfo=UTC)),
])
def test_log_enquiry_asks_which_repeated_time_then_records_the_one_chosen(
    client_for, callcentre_user, council, suburb, leak, long_backdating, offset, instant
):
    client = client_for(callcentre_user)
    data = _log_enquiry_data(callcentre_user, council, suburb, leak, received_at="2026-04-05T02:30")
    response = client.post("/enquiries/new/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "02:30 on Sunday 5 April 2026 happened twice" in body
    assert "02:30 happened twice that night: which one?" in body and 'name="received_at_offset"' in body
    assert not Enquiry.objects.exists()

    response = client.post("/enquiries/new/", dict(data, received_at_offset=offset))
    assert response.status_code == 302
    assert Enquiry.objects.get().received_at == instant


def test_log_enquiry_refuses_a_time_in_the_skipped_hour_with_a_clear_message(
    client_for, callcentre_user, council, suburb, leak, long_backdating
):
    data = _log_enquiry_data(callcentre_user, council, suburb, leak, received_at="2026-09-27T02:30")
    response = client_for(callcentre_user).post("/enquiries/new/", data)
    assert response.status_code == 400
    assert "02:30 on Sunday 27 September 2026 never showed on the clock" in response.content.decode()
    assert "did you mean 03:30 NZDT?" in response.content.decode()
    assert not Enquiry.objects.exists()


def test_every_date_time_a_user_types_uses_the_local_field():
    import importlib
    import inspect

    plain = []
    for app in ("accounts", "enquiries", "jobs", "complaints", "feedback", "reporting"):
        try:
            module = importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        for name, form in inspect.getmembers(module, inspect.isclass):
            for field_name, field in getattr(form, "base_fields", {}).items():
                if isinstance(field, forms.DateTimeField) and not isinstance(field, LocalDateTimeField):
                    plain.append(f"{app}.forms.{name}.{field_name}")
    assert plain == []
