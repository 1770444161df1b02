import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.enums import OrganisationKind
from accounts.models import Organisation, Suburb, User
from enquiries.enums import ContactChannel, ReceivedChannel, Service
from enquiries.models import Customer, Enquiry, IssueType
from enquiries.text import phone_digits, street_key
from jobs.due_dates import due_dates_for
from jobs.enums import KpiClass
from jobs.models import Category, Contract, Job, Priority

PASSWORD = "test-pass-2026"


class CouncilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Council {n}")
    kind = OrganisationKind.COUNCIL
    short_code = factory.Sequence(lambda n: f"C{n}")


class UtilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = "Wellington Water"
    kind = OrganisationKind.UTILITY
    short_code = ""


class ContractorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Contractor {n}")
    kind = OrganisationKind.CONTRACTOR
    short_code = ""


class SuburbFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suburb
        django_get_or_create = ("council", "name")

    council = factory.SubFactory(CouncilFactory)
    name = factory.Sequence(lambda n: f"Suburb {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class IssueTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssueType
        django_get_or_create = ("service", "code")

    service = Service.WATER_SUPPLY
    code = "leak"
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").capitalize())
    duplicate_radius_m = 200


class PriorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Priority
        django_get_or_create = ("name",)

    name = "P2"
    label = "Urgent"
    is_urgent = True
    attendance_target_hours = Decimal("4")
    resolution_target_hours = Decimal("24")
    business_hours = False


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("service", "name")

    service = Service.WATER_SUPPLY
    name = "Water main leak"
    kpi_class = factory.LazyAttribute(lambda c: {
        Service.WATER_SUPPLY: KpiClass.WATER_FAULT, Service.WASTEWATER: KpiClass.WASTEWATER_OVERFLOW,
        Service.STORMWATER: KpiClass.STORMWATER_FLOODING,
    }[c.service])


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract
        django_get_or_create = ("council", "service", "contractor")

    council = factory.SubFactory(CouncilFactory)
    service = Service.WATER_SUPPLY
    contractor = factory.SubFactory(ContractorFactory)
    is_usual = False


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    council = factory.SubFactory(CouncilFactory)
    name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"021 555 {n:04d}")
    phone_digits = factory.LazyAttribute(lambda c: phone_digits(c.phone))
    email = ""
    preferred_channel = ContactChannel.PHONE


class EnquiryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enquiry

    reference = factory.Sequence(lambda n: f"ENQ-2026-{900000 + n:06d}")
    council = factory.SubFactory(CouncilFactory)
    customer = factory.SubFactory(CustomerFactory, council=factory.SelfAttribute("..council"))
    street_address = factory.Sequence(lambda n: f"{n + 1} Cuba Street")
    suburb = factory.SubFactory(SuburbFactory, council=factory.SelfAttribute("..council"))
    service = Service.WATER_SUPPLY
    issue_type = factory.SubFactory(IssueTypeFactory, service=factory.SelfAttribute("..service"))
    description = "Water bubbling up through the footpath."
    channel = ReceivedChannel.PHONE
    received_at = factory.LazyFunction(timezone.now)
    logged_at = factory.LazyAttribute(lambda e: e.received_at)
    logged_by = factory.SubFactory(UserFactory)


class JobFactory(factory.django.DjangoModelFactory):
    """A job placed straight into a status (the services are tested on their own)."""

    class Meta:
        model = Job

    reference = factory.Sequence(lambda n: f"JOB-2026-{900000 + n:06d}")
    council = factory.SubFactory(CouncilFactory)
    service = Service.WATER_SUPPLY
    street_address = factory.Sequence(lambda n: f"{n + 1} Cuba Street")
    street_key = factory.LazyAttribute(lambda j: street_key(j.street_address))
    suburb = factory.SubFactory(SuburbFactory, council=factory.SelfAttribute("..council"))
    notified_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    created_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        priority = kwargs.get("priority")
        if priority is not None and "attendance_due_at" not in kwargs:
            attend, resolve = due_dates_for(notified_at=kwargs["notified_at"], priority=priority)
            kwargs.setdefault("attendance_due_at", attend)
            kwargs.setdefault("resolution_due_at", resolve)
        if priority is not None:
            kwargs.setdefault("is_urgent", priority.is_urgent)
        if kwargs.get("category") is not None:
            kwargs.setdefault("kpi_class", kwargs["category"].kpi_class)
        kwargs.setdefault("targets_from", kwargs["notified_at"])
        job = model_class(*args, **kwargs)
        if "next_due_at" not in kwargs:
            job._refresh_next_due(job.status)
        job.save()
        return job


class ComplaintServiceLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "complaints.ComplaintServiceLevel"
        django_get_or_create = ("name",)

    name = "Standard"
    acknowledge_business_days = 2
    resolve_business_days = 20
    is_default = True


class ComplaintCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "complaints.ComplaintCategory"
        django_get_or_create = ("service", "name")

    service = Service.WATER_SUPPLY
    name = "Drinking water taste"
    dia_measure = "water_taste"


class ComplaintCauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "complaints.ComplaintCause"
        django_get_or_create = ("name",)

    name = "Network fault or failure"


class ComplaintFactory(factory.django.DjangoModelFactory):
    """A complaint placed straight into a status (the services are tested on their own)."""

    class Meta:
        model = "complaints.Complaint"

    reference = factory.Sequence(lambda n: f"CMP-2026-{900000 + n:06d}")
    council = factory.SubFactory(CouncilFactory)
    customer = factory.SubFactory(CustomerFactory, council=factory.SelfAttribute("..council"))
    service = factory.LazyAttribute(lambda c: c.category.service)
    category = factory.SubFactory(ComplaintCategoryFactory)
    description = "The water tastes of chlorine since the repair."
    received_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    logged_at = factory.LazyAttribute(lambda c: c.received_at)
    logged_by = factory.SubFactory(UserFactory)
    acknowledge_due_at = factory.LazyAttribute(lambda c: c.received_at + dt.timedelta(days=2))
    resolve_due_at = factory.LazyAttribute(lambda c: c.received_at + dt.timedelta(days=28))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        complaint = model_class(*args, **kwargs)
        if "next_due_at" not in kwargs:
            complaint.refresh_next_due()
        complaint.save()
        return complaint
