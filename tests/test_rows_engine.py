"""The Jinja2 'rows' engine writes a list row as the Django template language would."""

from datetime import UTC, datetime, timedelta

from django.template import engines
from django.utils import formats, timezone

from config.jinja2 import when


def test_when_writes_a_date_time_as_django_templates_do_in_new_zealand_time():
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    for step in range(0, 24 * 400, 7):  # every hour of the clock, every month, both sides of DST
        moment = start + timedelta(hours=step, minutes=step % 60)
        assert when(moment) == formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    assert when(None) == ""


def test_rows_engine_escapes_what_it_prints():
    template = engines["rows"].from_string("{{ text }}|{{ text|clip(5) }}")
    assert template.render({"text": "<b>Bold & more</b>"}) == "&lt;b&gt;Bold &amp; more&lt;/b&gt;|&lt;b&gt;B…"
