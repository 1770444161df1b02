"""Normalising what callers and staff type, so lookups find it again."""

import re

_UNIT_AND_NUMBER = re.compile(r"^\s*(?:(?:flat|unit|apt)\s*\w+\s*,?\s*)?[\d/\-a-z]*\d[\d/\-a-z]*\s*,?\s*", re.I)
_SPACES = re.compile(r"\s+")
_ABBREVIATIONS = {
    "st": "street", "rd": "road", "ave": "avenue", "tce": "terrace", "cres": "crescent",
    "pl": "place", "dr": "drive", "hwy": "highway", "pde": "parade", "gr": "grove", "ln": "lane",
}


def phone_digits(phone: str) -> str:
    """A phone number as national digits: '+64 21 123 4567' -> '0211234567'."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("0064"):
        digits = digits[2:]
    if digits.startswith("64"):  # national numbers start with 0, so this is the +64 form
        digits = "0" + digits[2:]
    return digits


def street_key(street_address: str) -> str:
    """The street name without number or unit, lower case, abbreviations spelt out.

    '12A Cuba St' and '3/15 cuba street' both give 'cuba street'.
    """
    street = _UNIT_AND_NUMBER.sub("", street_address or "").strip().lower().rstrip(".,")
    words = [_ABBREVIATIONS.get(word.rstrip("."), word) for word in _SPACES.split(street) if word]
    return " ".join(words)[:120]


_HOUSE_NUMBER = re.compile(r"^\s*(?:(?:flat|unit|apt)\s*\w+\s*,?\s*)?(?:\w+/)?(\d+)", re.I)

PHONE_HELP = "NZ mobile, landline, 0800, 0508 or +64."


def house_number(street_address: str) -> int | None:
    """The street number of an address: '3/15A Cuba St' -> 15; None when there is none."""
    match = _HOUSE_NUMBER.match(street_address or "")
    return int(match.group(1)) if match else None


def phone_normalise(phone: str) -> str:
    """A New Zealand phone number in its one stored form ('021 555 0101'), or ValueError.

    Mobiles, landlines, 0800 and 0508 numbers, written nationally or as +64, are
    accepted; anything the phonenumbers library does not know as a valid NZ number is not.
    """
    import phonenumbers

    text = (phone or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "NZ")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"“{text}” is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != "NZ":
        raise ValueError(f"“{text}” is not a valid New Zealand phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
