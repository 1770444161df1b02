import html
from datetime import UTC, datetime, timedelta

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    """A <select> written out in Python rather than one template include per option.

    Same HTML and attributes as Django's Select (aria-invalid and all); used on the
    enquiry queue's filter form, where the per-option templates cost a few milliseconds
    on the busiest page of the application.
    """

    def render(self, name, value, attrs=None, renderer=None):
        if self.allow_multiple_selected:
            return super().render(name, value, attrs, renderer)
        # Straight from the choices: Select.get_context builds a dict of a dozen keys per option.
        chosen = set(self.format_value(value))
        parts = [format_html("<select name=\"{}\"{}>", name, flatatt(self.build_attrs(self.attrs, attrs)))]
        found = False

        def option(option_value, label):
            nonlocal found
            option_value = "" if option_value is None else str(option_value)
            selected = not found and option_value in chosen
            found = found or selected
            # html.escape is what django.utils.html.escape calls, without its lazy-string wrapper.
            parts.append(f'<option value="{html.escape(option_value)}"{" selected" if selected else ""}>'
                         f"{conditional_escape(label) if hasattr(label, '__html__') else html.escape(str(label))}"
                         "</option>")

        for group_value, group_label in self.choices:
            if isinstance(group_label, (list, tuple)):
                parts.append(format_html("<optgroup label=\"{}\">", group_value))
                for option_value, label in group_label:
                    option(option_value, label)
                parts.append("</optgroup>")
            else:
                option(group_value, group_label)
        parts.append("</select>")
        return mark_safe("".join(parts))


OFFSET_SUFFIX = "_offset"


def format_offset(offset: timedelta) -> str:
    """A UTC offset as it is written: +13:00, -03:30."""
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def local_time_candidates(naive: datetime, tz) -> list[datetime]:
    """The real moments a wall-clock time names in ``tz``.

    One as a rule; two in the hour that daylight saving repeats when the clocks go back
    (earlier one first); none in the hour skipped when they go forward. Raises
    OverflowError for a time at the very ends of the calendar.
    """
    found: list[datetime] = []
    for fold in (0, 1):
        candidate = naive.replace(tzinfo=tz, fold=fold)
        on_the_clock = candidate.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if on_the_clock == naive.replace(fold=0) and all(c.utcoffset() != candidate.utcoffset() for c in found):
            found.append(candidate)
    return sorted(found, key=lambda c: c.astimezone(UTC))


def parse_local(text) -> datetime | None:
    """The date and time typed into a datetime-local input, or None when it does not parse."""
    try:
        return datetime.fromisoformat(str(text).strip())
    except ValueError:
        return None


class LocalDateTimeInput(forms.DateTimeInput):
    """A datetime-local input that asks which one when the time typed happens twice.

    In the hour daylight saving repeats (02:00-03:00 on the first Sunday of April in New
    Zealand) a wall-clock time names two moments. The input then shows a choice of the
    two offsets, submitted as ``<name>_offset`` (e.g. ``+13:00``, the first, or ``+12:00``,
    the second). Used by ``common.forms.LocalDateTimeField``; the value it hands the field
    is ``[text, offset]``.
    """

    input_type = "datetime-local"
    template_name = "common/widgets/local_datetime.html"
    default_format = "%Y-%m-%dT%H:%M"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format or self.default_format)

    def value_from_datadict(self, data, files, name):
        return [data.get(name), data.get(name + OFFSET_SUFFIX)]

    def value_omitted_from_data(self, data, files, name):
        return name not in data and name + OFFSET_SUFFIX not in data

    def _split(self, value) -> tuple[str | None, str | None]:
        if isinstance(value, list | tuple):
            text, offset = (list(value) + [None, None])[:2]
            return text, offset
        if isinstance(value, datetime):
            if timezone.is_aware(value):
                local = timezone.localtime(value)
                return local.strftime(self.format), format_offset(local.utcoffset())
            return value.strftime(self.format), None
        return value, None

    def offset_choices(self, text, chosen: str | None, id_: str) -> list[dict]:
        naive = parse_local(text) if text else None
        if naive is None or naive.tzinfo is not None:
            return []
        try:
            candidates = local_time_candidates(naive, timezone.get_current_timezone())
        except (OverflowError, ValueError):
            return []
        if len(candidates) < 2:
            return []
        choices = []
        for index, (candidate, which) in enumerate(zip(candidates, ("the first", "the second, an hour later"),
                                                       strict=True)):
            value = format_offset(candidate.utcoffset())
            choices.append({
                "value": value, "checked": value == chosen, "id": f"{id_}{OFFSET_SUFFIX}_{index}",
                "label": f"{candidate:%H:%M} {candidate.tzname()} ({value}), {which}",
            })
        return choices

    def get_context(self, name, value, attrs):
        text, offset = self._split(value)
        context = super().get_context(name, text, attrs)
        widget = context["widget"]
        widget["offset_name"] = name + OFFSET_SUFFIX
        widget["offset_choices"] = self.offset_choices(text, offset, widget["attrs"].get("id") or name)
        if widget["offset_choices"]:
            naive = parse_local(text)
            widget["offset_legend"] = f"{naive:%H:%M} happened twice that night: which one?"
        return context
