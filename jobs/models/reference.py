"""Reference data the journey and the measures need: priorities and the councils' own
service levels, categories (with the DIA measure each feeds), contracts and connection counts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from accounts.enums import OrganisationKind
from enquiries.enums import Service

from ..enums import KpiClass

_COUNCIL = {"kind": OrganisationKind.COUNCIL}


class Priority(models.Model):
    """A service level: how soon a job must be attended and resolved (reference data)."""

    name = models.CharField(max_length=10, unique=True, help_text="Short name such as P1.")
    label = models.CharField(max_length=60, help_text="What it means, e.g. 'Emergency'.")
    is_urgent = models.BooleanField(
        "urgent", default=False,
        help_text="Counted as an urgent call-out in the national KPIs. Jobs already categorised keep "
                  "the flag they were categorised with.",
    )
    attendance_target_hours = models.DecimalField(max_digits=6, decimal_places=2)
    resolution_target_hours = models.DecimalField(max_digits=6, decimal_places=2)
    business_hours = models.BooleanField(
        default=False,
        help_text="Count only working hours (weekdays, not public holidays) instead of clock hours.",
    )
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "priorities"

    def __str__(self) -> str:
        return f"{self.name} {self.label}"

    @property
    def target_summary(self) -> str:
        return Targets.of(self).summary


@dataclass(frozen=True)
class Targets:
    attendance_hours: Decimal
    resolution_hours: Decimal
    business_hours: bool

    @classmethod
    def of(cls, level) -> Targets:
        return cls(level.attendance_target_hours, level.resolution_target_hours, level.business_hours)

    @property
    def summary(self) -> str:
        unit = "business hours" if self.business_hours else "hours"
        return (
            f"attend within {self.attendance_hours.normalize():f} {unit}, "
            f"resolve within {self.resolution_hours.normalize():f} {unit}"
        )


class ServiceLevel(models.Model):
    """A council's own targets for a priority and service (set in its Long-Term Plan)."""

    council = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="service_levels",
                                limit_choices_to=_COUNCIL)
    service = models.CharField(max_length=20, choices=Service.choices)
    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="council_levels")
    attendance_target_hours = models.DecimalField(max_digits=6, decimal_places=2)
    resolution_target_hours = models.DecimalField(max_digits=6, decimal_places=2)
    business_hours = models.BooleanField(default=False)

    class Meta:
        ordering = ["council", "service", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["council", "service", "priority"], name="service_level_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.council} {self.get_service_display()} {self.priority.name}"


def targets_for(*, priority: Priority, council_id: int, service: str) -> Targets:
    """The council's override for this priority and service, else the priority's defaults."""
    level = ServiceLevel.objects.filter(council_id=council_id, service=service, priority=priority).first()
    return Targets.of(level or priority)


class Category(models.Model):
    """The utility's classification of a job, per service (reference data)."""

    service = models.CharField(max_length=20, choices=Service.choices)
    name = models.CharField(max_length=80)
    kpi_class = models.CharField(
        "DIA measure", max_length=30, choices=KpiClass.choices, default=KpiClass.NOT_CALLOUT,
        help_text="Which call-out measure jobs of this category feed. Jobs already categorised keep theirs.",
    )
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service", "sort_order", "name"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="category_unique_per_service")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        allowed = {
            Service.WATER_SUPPLY: {KpiClass.WATER_FAULT},
            Service.WASTEWATER: {KpiClass.WASTEWATER_OVERFLOW},
            Service.STORMWATER: {KpiClass.STORMWATER_FLOODING},
        }.get(self.service, set()) | {KpiClass.NOT_CALLOUT}
        if self.kpi_class not in allowed:
            raise ValidationError({"kpi_class": "That measure belongs to another service."})


class Contract(models.Model):
    """Which contractor serves which council and service; Dispatch offers only these."""

    council = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="contracts",
                                limit_choices_to=_COUNCIL)
    service = models.CharField(max_length=20, choices=Service.choices)
    contractor = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="contracts_held",
                                   limit_choices_to={"kind": OrganisationKind.CONTRACTOR})
    is_usual = models.BooleanField("usual contractor", default=False,
                                   help_text="Preselected when dispatching this council's jobs of this service.")

    class Meta:
        ordering = ["council", "service", "-is_usual", "contractor"]
        constraints = [
            models.UniqueConstraint(fields=["council", "service", "contractor"], name="contract_unique"),
            models.UniqueConstraint(fields=["council", "service"], condition=Q(is_usual=True),
                                    name="contract_one_usual"),
        ]

    def __str__(self) -> str:
        return f"{self.contractor} for {self.council} {self.get_service_display().lower()}"


class ConnectionCount(models.Model):
    """Connections (connected properties for stormwater) per council, service and financial year:
    the denominator of the DIA 'per 1000 connections' measures."""

    council = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="connection_counts",
                                limit_choices_to=_COUNCIL)
    service = models.CharField(max_length=20, choices=Service.choices)
    financial_year = models.PositiveSmallIntegerField(
        help_text="The year the financial year starts: 2026 means 1 July 2026 to 30 June 2027.")
    connections = models.PositiveIntegerField(
        help_text="Connections to the network; for stormwater, connected properties.")

    class Meta:
        ordering = ["council", "service", "-financial_year"]
        constraints = [
            models.UniqueConstraint(fields=["council", "service", "financial_year"], name="connection_count_unique"),
        ]

    def __str__(self) -> str:
        year = f"{self.financial_year}/{(self.financial_year + 1) % 100:02d}"
        return f"{self.council} {self.get_service_display()} {year}"
