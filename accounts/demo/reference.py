"""Reference data the measures and Dispatch need: contracts, connection counts, one council's
own service levels. Values are illustrative, of the right size for each council."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from enquiries.enums import Service
from jobs.models import ConnectionCount, Contract, Priority, ServiceLevel

# Connections per council for (water supply, wastewater, stormwater connected properties).
CONNECTIONS = {
    "WCC": (74_500, 71_800, 69_200),
    "HCC": (39_800, 38_900, 37_600),
    "UHCC": (16_400, 15_900, 15_100),
    "PCC": (20_300, 19_700, 18_900),
    "SWDC": (5_200, 4_100, 3_300),
}
# Citycare is the usual contractor; Fulton Hogan holds South Wairarapa and Hutt wastewater.
USUAL = {("SWDC", service): "Fulton Hogan" for service in Service.values}
USUAL[("HCC", Service.WASTEWATER)] = "Fulton Hogan"
# Wellington City's Long-Term Plan: non-urgent water faults attended within 24 h, not 36 h.
WCC_LEVELS = [("P3", Service.WATER_SUPPLY, "24", "96", False)]


def financial_year(moment=None) -> int:
    today = timezone.localtime(moment or timezone.now())
    return today.year if today.month >= 7 else today.year - 1


@transaction.atomic
def seed_reference_data(organisations: dict[str, Organisation]) -> None:
    contractors = [organisations["Citycare"], organisations["Fulton Hogan"]]
    this_year = financial_year()
    for code, counts in CONNECTIONS.items():
        council = organisations[code]
        for service, connections in zip(Service.values, counts, strict=True):
            usual = USUAL.get((code, service), "Citycare")
            for contractor in contractors:
                Contract.objects.update_or_create(
                    council=council, service=service, contractor=contractor,
                    defaults={"is_usual": contractor.name == usual},
                )
            for offset, year in enumerate((this_year, this_year - 1, this_year - 2)):
                ConnectionCount.objects.get_or_create(
                    council=council, service=service, financial_year=year,
                    defaults={"connections": round(connections * (1 - 0.008 * offset))},
                )
    for name, service, attend, resolve, business in WCC_LEVELS:
        ServiceLevel.objects.get_or_create(
            council=organisations["WCC"], service=service, priority=Priority.objects.get(name=name),
            defaults={"attendance_target_hours": Decimal(attend), "resolution_target_hours": Decimal(resolve),
                      "business_hours": business},
        )
