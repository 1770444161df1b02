from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from .enums import ROLE_FIELDS, OrganisationKind, Role


class Organisation(models.Model):
    """A client council, the utility, or a contractor."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    short_code = models.CharField(
        max_length=10,
        blank=True,
        help_text="Councils only: a short code such as WCC, used on screens and exports.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["short_code"], condition=~Q(short_code=""), name="organisation_unique_short_code"
            ),
            models.CheckConstraint(
                condition=~Q(kind=OrganisationKind.COUNCIL) | ~Q(short_code=""),
                name="council_has_short_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.short_code or self.name


class Suburb(models.Model):
    """One of a council's suburbs: the list enquiries choose from."""

    council = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="suburbs",
        limit_choices_to={"kind": OrganisationKind.COUNCIL},
    )
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="suburb_unique_per_council")]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role_call_centre = models.BooleanField("call-centre", default=False)
    role_case_manager = models.BooleanField("case manager", default=False)
    role_crew = models.BooleanField("crew", default=False)
    role_analyst = models.BooleanField("analyst", default=False)
    role_admin = models.BooleanField("admin", default=False)
    # Reads the personal-data access log (Privacy Act 2020): who saw which customer's details.
    role_privacy_officer = models.BooleanField("privacy officer", default=False)

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def roles(self) -> list[Role]:
        return [role for role, field in ROLE_FIELDS.items() if getattr(self, field)]

    def has_role(self, role: Role) -> bool:
        return bool(getattr(self, ROLE_FIELDS[role]))
