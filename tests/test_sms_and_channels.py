"""Customer-update texts read well and go by the channel staff chose (or staff are told).

Texts are counted as the network counts them (GSM-7 160/153, UCS-2 70/67 once a macron
appears), in Python for what is sent and in the browser as staff type, and the two agree;
a long update goes whole, never cut mid-sentence, with the status link at the end. A channel
that cannot reach a chosen customer is refused on the form with who, why and what would
work; each customer's preferred channel that cannot reach them is said before sending and on
the timeline."""

import json
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from common.models import OutboxMessage
from common.sms import GSM_BASIC, GSM_EXTENDED, sms_parts
from enquiries.enums import ContactChannel
from jobs import customer_updates
from jobs.models import CustomerUpdate, JobEvent
from tests.factories import CustomerFactory
from tests.test_customer_updates import job_with  # noqa: F401 (a fixture)

TABLE = [
    ("", "GSM-7", 0, 0),
    ("Kia ora", "GSM-7", 7, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("€" * 80, "GSM-7", 160, 1),  # the euro sign takes two places
    ("[" + "a" * 159, "GSM-7", 161, 2),
    ("Tūhoe", "UCS-2", 5, 1),
    ("ū" * 70, "UCS-2", 70, 1),
    ("ū" * 71, "UCS-2", 71, 2),
    ("ū" * 134, "UCS-2", 134, 2),
    ("ū" * 135, "UCS-2", 135, 3),
    ("Water off 🚰", "UCS-2", 12, 1),  # an emoji is two UTF-16 units
    ("Café naïve", "UCS-2", 10, 1),  # é is GSM, ï is not
]


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), TABLE)
def test_sms_parts_count_as_the_network_does(text, encoding, units, segments):
    parts = sms_parts(text)
    assert (parts.encoding, parts.units, parts.segments) == (encoding, units, segments)


@given(st.text(max_size=700))
def test_sms_parts_hold_for_any_text(text):
    parts = sms_parts(text)
    assert (parts.segments == 0) == (text == "")
    assert parts.units <= max(parts.segments, 1) * (160 if parts.encoding == "GSM-7" else 70)
    assert (parts.encoding == "GSM-7") == all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text)


@pytest.mark.skipif(not shutil.which("node"), reason="needs node (the browser's counter is JavaScript)")
@hypothesis_settings(deadline=None, max_examples=15)
@given(st.lists(st.text(alphabet=st.sampled_from(GSM_BASIC + GSM_EXTENDED + "ūāēīō🚰ï"), max_size=400),
                min_size=20, max_size=20))
def test_the_browser_counts_texts_as_python_does(texts):
    texts = texts + [t for t, *_ in TABLE]
    script = (
        "global.window={};global.document={addEventListener(){},querySelectorAll(){return[]},"
        "getElementById(){return null}};try{require(process.argv[1])}catch(e){}"
        "const texts=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "console.log(JSON.stringify(texts.map(t=>{const p=window.smsParts(t);return[p.encoding,p.units,p.segments]})))"
    )
    out = subprocess.run(["node", "-e", script, str(settings.BASE_DIR / "static" / "js" / "site.js")],
                         input=json.dumps(texts), capture_output=True, text=True, check=True, timeout=30)
    expected = [[p.encoding, p.units, p.segments] for p in map(sms_parts, texts)]
    assert json.loads(out.stdout) == expected


def test_a_long_update_goes_whole_by_text_with_the_status_link_at_the_end(job_with, council,  # noqa: F811
                                                                          casemanager_user):
    texter = CustomerFactory(council=council, preferred_channel=ContactChannel.SMS, phone="021 555 0199")
    job = job_with(customers=[texter])
    message = " ".join(f"Sentence {n} about the repair on Cuba Street is here." for n in range(12))
    customer_updates.customer_update_log(job=job, by=casemanager_user, issue="Burst main", message=message)
    body = OutboxMessage.objects.get(channel="sms").body
    assert body.startswith(f"{job.reference}: Sentence 0") and "Sentence 11 about the repair" in body
    assert body.endswith(f"Status: {settings.SITE_URL.rstrip('/')}/status/")
    assert "..." not in body and sms_parts(body).segments > 3


def test_a_letter_to_a_customer_with_no_postal_address_is_refused_with_what_would_work(
        job_with, council, casemanager_user):  # noqa: F811
    no_address = CustomerFactory(council=council, name="Aroha Ngata", postal_address="", email="aroha@example.org",
                                 phone="04 385 0101")
    job = job_with(customers=[no_address])
    with pytest.raises(ValidationError) as refused:
        customer_updates.customer_update_log(job=job, by=casemanager_user, issue="Burst main", message="Fixed",
                                             channel=ContactChannel.LETTER)
    message = refused.value.message_dict["channel"][0]
    assert "Letter cannot reach 1 of the customers chosen (Aroha Ngata: no postal address)" in message
    assert "Channels that reach all of them: phone, email, face to face;" in message
    assert not CustomerUpdate.objects.exists()


def test_a_text_to_a_landline_is_refused(job_with, council, casemanager_user):  # noqa: F811
    landline = CustomerFactory(council=council, name="Hemi Walker", phone="04 385 0101", email="")
    job = job_with(customers=[landline])
    with pytest.raises(ValidationError, match="Hemi Walker: their phone is not a mobile"):
        customer_updates.customer_update_log(job=job, by=casemanager_user, issue="Burst main", message="Fixed",
                                             channel=ContactChannel.SMS)


def test_the_form_says_before_sending_whose_preferred_channel_cannot_reach_them(
        job_with, council, casemanager_user, client_for):  # noqa: F811
    prefers_letter = CustomerFactory(council=council, name="Mere Tane", preferred_channel=ContactChannel.LETTER,
                                     postal_address="", email="mere@example.org")
    job = job_with(customers=[prefers_letter])
    page = client_for(casemanager_user).get(reverse("jobs:job-update", args=[job.reference])).content.decode()
    assert "Mere Tane prefers letter but has no postal address: email instead" in page
    assert 'data-sms-suffix=" Status: ' in page
    customer_updates.customer_update_log(job=job, by=casemanager_user, issue="Burst main", message="Fixed")
    event = JobEvent.objects.filter(job=job, kind="customer_update").latest("at")
    assert "not by their preferred channel: preferred letter had no postal address, so email" in event.text
