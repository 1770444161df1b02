"""Two financial years of finished jobs behind the live fortnight, so every chart, measure and
trend has something to show; and one planted hotspot a newcomer can find.

Made through the same services as the live activity (each step at its simulated moment), in
one transaction so SQLite writes the file once. More faults in winter than in summer.

The planted hotspot: **Karori (Wellington City), water main bursts, in the last complete
month**: twelve jobs where the suburb usually has one every two months. Open the dashboard,
choose Wellington City Council, water supply and that month.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from jobs.enums import JobStatus

from .activity import DemoActivity

MONTHS = 26  # back to the May before last: all of the last financial year and the one before's end
PER_MONTH = 10
WINTER = {6: 1.5, 7: 1.6, 8: 1.4, 5: 1.2, 9: 1.1}  # month -> more faults in the cold and wet
HOTSPOT = ("WCC", "Karori", 12)


def _month_start(year: int, month: int):
    return timezone.make_aware(timezone.datetime(year, month, 1))


class DemoHistory(DemoActivity):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.callback_share = 0.0  # finished long ago: no call-back still waiting

    def _when(self, year: int, month: int):
        start = _month_start(year, month)
        end = _month_start(year + (month == 12), month % 12 + 1)
        return start + (end - start) * self.rng.uniform(0.02, 0.9)

    def _history_month(self, year: int, month: int) -> None:
        for _ in range(round(PER_MONTH * WINTER.get(month, 1.0))):
            t0 = self._when(year, month)
            if t0 > self.now - timedelta(days=85):
                return  # the live activity covers the last weeks
            target = JobStatus.CANCELLED if self.rng.random() < 0.05 else JobStatus.CLOSED
            self._job(target, t0=t0)
        if self.rng.random() < 0.5:  # Karori's usual rate: a burst every two months or so
            self._karori_burst(self._when(year, month))

    def _karori_burst(self, t0) -> None:
        code, suburb, _count = HOTSPOT
        street, lat, lng = self.rng.choice(self.places[code][suburb])
        self._job(JobStatus.CLOSED, t0=t0, code=code, service="water_supply", issue_code="burst_main",
                  place=(suburb, street, lat, lng, self.rng.randint(1, 240)))

    def planted_hotspot(self) -> None:
        local = timezone.localtime(self.now)
        year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
        for _ in range(HOTSPOT[2]):
            t0 = self._when(year, month)
            self._job(JobStatus.CLOSED if t0 < self.now - timedelta(days=3) else JobStatus.COMPLETED, t0=t0,
                      code=HOTSPOT[0], service="water_supply", issue_code="burst_main",
                      place=(HOTSPOT[1], *self.rng.choice(self.places[HOTSPOT[0]][HOTSPOT[1]]),
                             self.rng.randint(1, 240)))

    def run(self) -> int:
        local = timezone.localtime(self.now)
        index = local.year * 12 + local.month - 1
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
            for back in range(MONTHS, 0, -1):
                year, month0 = divmod(index - back, 12)
                self._history_month(year, month0 + 1)
            self.planted_hotspot()
        return 0
