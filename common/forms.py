"""Form pieces every app uses: service errors on a form, one-time create forms, local date-times."""

from datetime import UTC, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import BaseTemporalField
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .submissions import TOKEN_FIELD, submission_token_check, submission_token_new
from .widgets import LocalDateTimeInput, format_offset, local_time_candidates


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has it, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class OneTimeSubmitMixin:
    """A create form that creates once however often it is submitted.

    Adds a hidden ``submission_token`` issued to ``submitter`` when the form is shown
    (every rendering of the form must include it: ``{{ form.submission_token }}``, or
    crispy). ``clean`` refuses another user's, a tampered or an expired token with a
    message at the top and gives the form a fresh one, so the user can submit again.
    The view claims ``form.submission_token`` with ``common.submissions.submitted_once``
    in the transaction that creates (see that module for the whole pattern).
    """

    def __init__(self, *args, submitter, **kwargs):
        super().__init__(*args, **kwargs)
        self.submitter = submitter
        self.fields[TOKEN_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial[TOKEN_FIELD] = submission_token_new(user=submitter)

    def clean(self):
        cleaned = super().clean()
        # Kept aside, not in cleaned_data, so views may still pass cleaned_data to a service as is.
        self._submission_token = cleaned.pop(TOKEN_FIELD, "") if cleaned else ""
        try:
            submission_token_check(token=self._submission_token, user=self.submitter)
        except ValidationError as exc:
            self.add_error(None, exc)
            self.data = self.data.copy()
            self.data[TOKEN_FIELD] = submission_token_new(user=self.submitter)
        return cleaned

    @property
    def submission_token(self) -> str:
        return self._submission_token


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed as the clock on the wall showed it, in the current time zone.

    Django's own field refuses a time that daylight saving makes ambiguous or skips. This
    one says what is wrong: a time in the hour the clocks repeat (02:30 on 4 April 2027 in
    New Zealand) is accepted once the user picks which of the two (its widget then offers
    NZDT +13:00, the first, or NZST +12:00, the second); a time in the hour they skip
    (02:30 on 26 September 2027) is refused with the time the clock showed instead. Use it
    for every date-time a user types.

    The cleaned value is the instant, in UTC: a local time in the repeated hour never
    equals any other-zone datetime in Python (PEP 495), so it is not handed on as one.
    """

    widget = LocalDateTimeInput
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
    default_error_messages = {
        "ambiguous": "%(time)s on %(date)s happened twice: the clocks went back an hour that night, when "
                     "daylight saving ended. Choose which %(time)s: %(first)s or %(second)s.",
        "nonexistent": "%(time)s on %(date)s never showed on the clock: the clocks went forward an hour that "
                       "night, when daylight saving began. Check the time: did you mean %(after)s?",
    }

    def prepare_value(self, value):
        return value  # keep the offset of an aware value: the widget shows which one it was

    def to_python(self, value):
        text, offset = (list(value) + [None, None])[:2] if isinstance(value, list | tuple) else (value, None)
        if text in self.empty_values:
            return None
        if isinstance(text, datetime):
            naive = text
        else:
            try:
                naive = parse_datetime(str(text).strip())
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            if naive is None:
                naive = BaseTemporalField.to_python(self, text)
        if timezone.is_aware(naive):
            return naive
        return self._on_the_clock(naive, offset)

    def _on_the_clock(self, naive: datetime, offset: str | None) -> datetime:
        tz = timezone.get_current_timezone()
        try:
            candidates = local_time_candidates(naive, tz)
        except (OverflowError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if len(candidates) == 1:
            return candidates[0].astimezone(UTC)
        params = {"time": f"{naive:%H:%M}", "date": f"{naive:%A} {naive.day} {naive:%B %Y}"}
        if not candidates:
            after = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
            raise ValidationError(self.error_messages["nonexistent"], code="nonexistent",
                                  params=params | {"after": f"{after:%H:%M} {after.tzname()}"})
        for candidate in candidates:
            if format_offset(candidate.utcoffset()) == offset:
                return candidate.astimezone(UTC)
        first, second = candidates
        raise ValidationError(self.error_messages["ambiguous"], code="ambiguous", params=params | {
            "first": f"{first.tzname()} ({format_offset(first.utcoffset())}), the first",
            "second": f"{second.tzname()} ({format_offset(second.utcoffset())}), the second",
        })
