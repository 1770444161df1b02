from django.db import models


class OrganisationKind(models.TextChoices):
    COUNCIL = "council", "Council"
    UTILITY = "utility", "Utility"
    CONTRACTOR = "contractor", "Contractor"


class Role(models.TextChoices):
    CALL_CENTRE = "call_centre", "Call-centre"
    CASE_MANAGER = "case_manager", "Case manager"
    CREW = "crew", "Crew"
    ANALYST = "analyst", "Analyst"
    ADMIN = "admin", "Admin"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"


# The boolean field on User that holds each role.
ROLE_FIELDS = {
    Role.CALL_CENTRE: "role_call_centre",
    Role.CASE_MANAGER: "role_case_manager",
    Role.CREW: "role_crew",
    Role.ANALYST: "role_analyst",
    Role.ADMIN: "role_admin",
    Role.PRIVACY_OFFICER: "role_privacy_officer",
}
