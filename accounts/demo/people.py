"""Organisations and one login per role, created or brought back to the demo state."""

from django.db import transaction

from accounts.enums import OrganisationKind
from accounts.models import Organisation, Suburb, User

from .places import CONTRACTORS, COUNCILS, UTILITY

DEMO_PASSWORD = "demo-pass-2026"

# username, first, last, organisation name or council code, roles, listed in the README
DEMO_USERS = [
    ("callcentre", "Hana", "Wright", "WCC", ["call_centre"], True),
    ("casemanager", "Sam", "Patel", UTILITY, ["case_manager"], True),
    ("crew", "Tom", "Henare", "Citycare", ["crew"], True),
    ("analyst", "Lee", "Chen", UTILITY, ["analyst"], True),
    ("admin", "Alex", "Morgan", UTILITY, ["admin"], True),
    ("callcentre-hcc", "Mere", "Parata", "HCC", ["call_centre"], False),
    ("callcentre-uhcc", "Jack", "Wilson", "UHCC", ["call_centre"], False),
    ("callcentre-pcc", "Sione", "Faleolo", "PCC", ["call_centre"], False),
    ("callcentre-swdc", "Ruby", "Campbell", "SWDC", ["call_centre"], False),
    ("casemanager2", "Aroha", "Ngata", UTILITY, ["case_manager"], False),
    ("crew-fh", "Liam", "Young", "Fulton Hogan", ["crew"], False),
]


@transaction.atomic
def seed_organisations() -> dict[str, Organisation]:
    """Councils with their suburbs, the utility and the contractors, keyed by code or name."""
    found = {}
    for name, code, suburbs in COUNCILS:
        council, _ = Organisation.objects.update_or_create(
            name=name, defaults={"kind": OrganisationKind.COUNCIL, "short_code": code, "is_active": True}
        )
        for suburb in suburbs:
            Suburb.objects.get_or_create(council=council, name=suburb)
        found[code] = council
    found[UTILITY] = Organisation.objects.update_or_create(
        name=UTILITY, defaults={"kind": OrganisationKind.UTILITY, "short_code": "", "is_active": True}
    )[0]
    for name in CONTRACTORS:
        found[name] = Organisation.objects.update_or_create(
            name=name, defaults={"kind": OrganisationKind.CONTRACTOR, "short_code": "", "is_active": True}
        )[0]
    return found


@transaction.atomic
def seed_users(organisations: dict[str, Organisation]) -> dict[str, User]:
    users = {}
    for username, first, last, org_key, roles, _listed in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@demo.waterjourney.nz"
        user.organisation = organisations[org_key]
        for field in ("role_call_centre", "role_case_manager", "role_crew", "role_analyst", "role_admin"):
            setattr(user, field, field.removeprefix("role_") in roles)
        user.is_active = True
        user.is_staff = user.is_superuser = "admin" in roles
        user.set_password(DEMO_PASSWORD)
        user.save()
        users[username] = user
    return users
