from datetime import datetime
from decimal import Decimal

from django import template
from django.utils import timezone

register = template.Library()


def _short(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60:02d}" if hours < 10 else f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


@register.filter
def due_phrase(moment: datetime | None) -> str:
    """'in 35 min' or '12 min late': what a crew reads at a glance."""
    if moment is None:
        return ""
    seconds = (moment - timezone.now()).total_seconds()
    minutes = int(abs(seconds) // 60)
    return f"{_short(minutes)} late" if seconds < 0 else f"in {_short(minutes)}"


@register.filter
def geo_uri(job) -> str:
    if job.latitude is None or job.longitude is None:
        return ""
    return f"geo:{Decimal(job.latitude):f},{Decimal(job.longitude):f}"


@register.filter
def osm_url(job) -> str:
    if job.latitude is None or job.longitude is None:
        return ""
    lat, lon = f"{Decimal(job.latitude):f}", f"{Decimal(job.longitude):f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
