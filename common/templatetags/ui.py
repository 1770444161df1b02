from datetime import datetime, timedelta
from functools import lru_cache

from django import template
from django.apps import apps
from django.template import engines
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

register = template.Library()

STATUS_STYLES = {
    # enquiries
    "new": "text-bg-primary",
    "linked": "text-bg-info",
    "resolved": "text-bg-success",
    # jobs
    "logged": "text-bg-primary",
    "triaged": "text-bg-primary",
    "allocated": "text-bg-info",
    "dispatched": "text-bg-info",
    "attended": "text-bg-warning",
    "assessed": "text-bg-warning",
    "in_repair": "text-bg-warning",
    "completed": "text-bg-success",
    "closed": "text-bg-secondary",
    "reported": "text-bg-dark",
    "cancelled": "text-bg-light border",
    # complaints (resolved and closed as above)
    "received": "text-bg-primary",
    "understood": "text-bg-info",
    "discussed": "text-bg-info",
    "agreed": "text-bg-warning",
    "withdrawn": "text-bg-light border",
}


@lru_cache(maxsize=64)
def _field_labels(path: str) -> dict:
    app_label, model_name, field_name = path.split(".")
    return dict(apps.get_model(app_label, model_name)._meta.get_field(field_name).flatchoices)


@register.filter
def label_of(value, path: str):
    """A choice's label from a value a list row carries as a column:
    ``{{ e.job_status|label_of:"jobs.Job.status" }}`` is what ``job.get_status_display`` would say."""
    return _field_labels(path).get(value, value)


@register.filter
def status_class(status: str) -> str:
    return STATUS_STYLES.get(status, "text-bg-secondary")


def _short_duration(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60:02d} m" if hours < 10 else f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


@register.filter
def age(moment: datetime | None) -> str:
    """How long ago: '25 min', '3 h 05 m', '4 d 2 h'."""
    if moment is None:
        return ""
    return _short_duration(timezone.now() - moment)


@register.filter
def due_in(moment: datetime | None) -> str:
    """'in 2 h 10 m' or '3 h overdue'."""
    if moment is None:
        return ""
    delta = moment - timezone.now()
    if delta.total_seconds() < 0:
        return f"{_short_duration(delta)} overdue"
    return f"in {_short_duration(delta)}"


@register.filter
def is_past(moment: datetime | None) -> bool:
    return moment is not None and moment < timezone.now()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


# Match the reference and the primary-key path converters, and appear in no real URL.
_PLACEHOLDERS = ("ZZKEY-0000-0", "987654321987654321")


@lru_cache(maxsize=64)
def _url_pattern(name: str) -> tuple[str, str]:
    for placeholder in _PLACEHOLDERS:
        try:
            return reverse(name, args=[placeholder]), placeholder
        except NoReverseMatch:
            continue
    raise NoReverseMatch(f"{name} takes neither a reference nor a primary key")


@register.simple_tag
def row_url(name: str, key) -> str:
    """{% url name key %} for list rows: reversed once per URL name, then filled in (50 rows, 50x cheaper).

    For URLs that take one reference or one primary key."""
    pattern, placeholder = _url_pattern(name)
    return pattern.replace(placeholder, str(key))


@register.simple_tag(takes_context=True)
def rows(context, template_name: str) -> str:
    """A list's rows, rendered by the Jinja2 "rows" engine (``config/jinja2.py``) with this page's
    context: ``{% rows "enquiries/enquiry_rows.html" %}``. Jinja2 escapes what it prints."""
    return mark_safe(engines["rows"].get_template(template_name).template.render(context.flatten()))


@register.filter
def clip(value, length: int) -> str:
    """truncatechars for list rows: at most ``length`` characters, the last an ellipsis when cut.

    Counts code points, where truncatechars walks every character of the whole text (and cost
    ~0.2 ms a row on the call-back queue)."""
    text = "" if value is None else str(value)
    length = int(length)
    return text if len(text) <= length else text[: max(0, length - 1)] + "…"


@register.filter
def duration_words(delta: timedelta | None) -> str:
    """A length of time in words: '15 minutes', '1 hour', '2 hours 30 minutes'."""
    if not delta:
        return ""
    minutes = max(1, round(delta.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


@register.filter
def map_url(place) -> str:
    """A map link for a job or enquiry: its point when known, else its address (opens the phone's map app)."""
    from urllib.parse import urlencode

    if getattr(place, "latitude", None) is not None and getattr(place, "longitude", None) is not None:
        query = f"{place.latitude},{place.longitude}"
    else:
        # A list row carries its suburb's name as a column; a page has the suburb itself.
        suburb = place.__dict__.get("suburb_name") or place.suburb
        query = f"{place.street_address}, {suburb}, New Zealand"
    return "https://www.google.com/maps/search/?" + urlencode({"api": 1, "query": query})
