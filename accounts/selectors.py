from django.db.models import QuerySet

from .enums import OrganisationKind
from .models import Organisation, Suburb, User


def councils_visible_to(*, user) -> QuerySet[Organisation]:
    from . import permissions

    councils = Organisation.objects.filter(kind=OrganisationKind.COUNCIL, is_active=True)
    if permissions.sees_all_councils(user):
        return councils
    if permissions.works_for_council(user):
        return councils.filter(pk=user.organisation_id)
    return councils.none()


def suburbs_for_council(*, council_id: int | None) -> QuerySet[Suburb]:
    if not council_id:
        return Suburb.objects.none()
    return Suburb.objects.filter(council_id=council_id).order_by("name")


def case_managers() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, role_case_manager=True, organisation__kind=OrganisationKind.UTILITY
    ).order_by("first_name", "last_name")


def user_names(ids) -> dict[int, str]:
    """{user id: the name ``str(user)`` gives}, for the ids given (None and repeats ignored): one
    query, where a joined user row a line (or a name subquery, costly to build) would be many."""
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return {}
    return {user.pk: str(user) for user in User.objects.filter(pk__in=wanted).only(
        "first_name", "last_name", "username")}
