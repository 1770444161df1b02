"""Rounding, once, at display: decimal half-up (3.25 h reads 3.3; 0.075 per 1000 reads 0.08).

Figures are kept exact (a median's float, a count over connections) and rounded only where a
person reads them: the dashboard, the PDF and the CSV. A float is first read as the decimal
PostgreSQL gives it (15 significant digits, as ``float8::numeric``), so the CSV that PostgreSQL
writes (``round(x::numeric, n)``, half away from zero) and the one Python writes agree."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up(value: float | int | None, places: int) -> Decimal | None:
    """``value`` to ``places`` decimals, halves rounded up (away from zero); None stays None."""
    if value is None:
        return None
    exact = Decimal(format(float(value), ".15g")) if isinstance(value, float) else Decimal(value)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def half_up_float(value: float | int | None, places: int) -> float | None:
    """``half_up`` as a float, for display values kept in JSON (a chart's axis, a percentage)."""
    rounded = half_up(value, places)
    return None if rounded is None else float(rounded)


def format_value(value: float | None, unit: str) -> str:
    """How a figure reads: minutes to a tenth (whole minutes without one), hours to a tenth,
    per 1000 to two decimals, counts whole."""
    if value is None:
        return "–"
    if unit == "minutes":
        shown = half_up(value, 1)
        return f"{shown:.0f} min" if shown == shown.to_integral_value() else f"{shown} min"
    if unit == "hours":
        return f"{half_up(value, 1)} h"
    if unit == "per1000":
        return f"{half_up(value, 2)}"
    return f"{half_up(value, 0)}"
