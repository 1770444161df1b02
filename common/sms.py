"""Text messages through a pluggable backend, shaped like Django's e-mail backends.

``SMS_BACKEND`` names the class:

- ``common.sms.ConsoleBackend`` (default): writes each message to standard output.
- ``common.sms.LocmemBackend``: keeps them in ``common.sms.outbox`` (tests).
- ``common.sms.EmailGatewayBackend``: an e-mail-to-SMS gateway; sends the text to
  ``<number>@SMS_EMAIL_GATEWAY_DOMAIN`` through Django's mail (so ``EMAIL_URL`` and
  ``EMAIL_TIMEOUT`` apply).

Code queues an SMS with ``common.outbox.outbox_add(channel="sms", ...)``; only the
outbox's delivery calls ``send_sms``.
"""

from __future__ import annotations

import re
import sys
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

# LocmemBackend's messages, as django.core.mail.outbox holds e-mails in tests.
outbox: list[SMSMessage] = []


class PermanentSMSError(Exception):
    """A message no retry will get through (a number that cannot take SMS)."""


@dataclass
class SMSMessage:
    to: str
    body: str


def normalise_number(number: str) -> str:
    """Digits only, as gateways want them: '+64 21 555 0199' -> '64215550199'."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 6:
        raise PermanentSMSError(f"{number!r} is not a phone number that can take a text.")
    return digits


class BaseSMSBackend:
    def __init__(self, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently

    def send_messages(self, messages: list[SMSMessage]) -> int:
        raise NotImplementedError


class ConsoleBackend(BaseSMSBackend):
    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send_messages(self, messages):
        with self._lock:
            for message in messages:
                self.stream.write(f"SMS to {message.to}\n{message.body}\n{'-' * 40}\n")
            self.stream.flush()
        return len(messages)


class LocmemBackend(BaseSMSBackend):
    def send_messages(self, messages):
        for message in messages:
            normalise_number(message.to)
        outbox.extend(messages)
        return len(messages)


class EmailGatewayBackend(BaseSMSBackend):
    """Sends ``<digits>@SMS_EMAIL_GATEWAY_DOMAIN``, the text as the body, no subject."""

    def __init__(self, *args, domain: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.domain = domain or settings.SMS_EMAIL_GATEWAY_DOMAIN
        if not self.domain:
            raise ImproperlyConfigured("common.sms.EmailGatewayBackend needs SMS_EMAIL_GATEWAY_DOMAIN.")

    def send_messages(self, messages):
        emails = [EmailMessage(subject="", body=m.body, to=[f"{normalise_number(m.to)}@{self.domain}"])
                  for m in messages]
        from django.core.mail import get_connection

        return get_connection(fail_silently=self.fail_silently).send_messages(emails) or 0


def get_backend(backend: str | None = None, **kwargs) -> BaseSMSBackend:
    return import_string(backend or settings.SMS_BACKEND)(**kwargs)


def send_sms(*, to: str, body: str, backend: str | None = None) -> int:
    """Send one text now. Only the outbox's delivery calls this; everything else queues."""
    return get_backend(backend).send_messages([SMSMessage(to=to, body=body)])


# How long a text is, as a phone network counts it -------------------------------------------------
#
# A text is sent in the GSM 7-bit alphabet when every character is in it (160 characters in one
# message, 153 in each part of a longer one; a few characters take two places), and otherwise as
# UCS-2 (70, or 67 a part). One macron ("Tūhoe") switches the whole text to UCS-2. The same rules
# run in the browser as staff type (static/js/site.js, ``smsParts``).

GSM_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
             "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = "^{}\\[~]|€\f"
SMS_WARN_SEGMENTS = 3


@dataclass(frozen=True)
class SMSParts:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7, an extended character counts two) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int

    @property
    def too_long(self) -> bool:
        return self.segments > SMS_WARN_SEGMENTS


def sms_parts(text: str) -> SMSParts:
    """How many messages ``text`` is sent as, and in which encoding."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        units = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return SMSParts(encoding, units, 1 if units else 0, single)
    return SMSParts(encoding, units, -(-units // multi), multi)
