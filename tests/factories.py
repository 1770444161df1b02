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
from jobs.models import Category, Contract, FaultType, Job, Priority

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


class FaultTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaultType
        django_get_or_create = ("service", "code")

    service = Service.WATER_SUPPLY
    code = "burst_main"
    name = "Burst main"


def assessment_kwargs(*, service: str = Service.WATER_SUPPLY, hours: int = 6, **overrides) -> dict:
    """What 'Record assessment' needs beyond the job: a fault type of the service, complexity, expected completion."""
    codes = {Service.WATER_SUPPLY: "burst_main", Service.WASTEWATER: "blockage", Service.STORMWATER: "blocked_inlet"}
    kwargs = {
        "fault_type": FaultTypeFactory(service=service, code=codes[service], name=codes[service].replace("_", " ")),
        "complexity": "medium",
        "expected_completion_at": timezone.now() + dt.timedelta(hours=hours),
    }
    kwargs.update(overrides)
    return kwargs


def image_bytes(*, fmt: str = "JPEG", size=(64, 48), color=(200, 30, 30), exif: bytes | None = None) -> bytes:
    """A small real image, as a phone would send it (optionally with EXIF, e.g. a GPS position)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def photo_for(job, *, by=None, stage: str = "assessment"):
    """A stored photo on the job, through the same code the crew's upload uses."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jobs.photos import photos_check, photos_save

    upload = SimpleUploadedFile("site.jpg", image_bytes(), content_type="image/jpeg")
    from accounts.permissions import SYSTEM

    return photos_save(job=job, photos=photos_check([upload]), stage=stage, by=by or SYSTEM)[0]


def letter_for(job, *, by=None):
    """A ready letter PDF on the job (the real rendering is tested on its own)."""
    from django.core.files.base import ContentFile

    from jobs.models import CustomerUpdate, Letter

    update = CustomerUpdate.objects.create(job=job, reason="other", issue="Burst main", message="We are on it.")
    letter = Letter(job=job, update=update, status="ready", pages=1)
    letter.file.save("letters.pdf", ContentFile(b"%PDF-1.4\n%fake\n"), save=False)
    letter.save()
    return letter


# Stage 4: call-backs and feedback requests, placed directly (the services are tested on their own).

class ResolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "jobs.Resolution"

    job = factory.SubFactory(JobFactory)
    resolved_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=2))


class CallBackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feedback.CallBack"

    job = factory.SubFactory(JobFactory, status="completed")
    enquiry = factory.SubFactory(EnquiryFactory, council=factory.SelfAttribute("..job.council"),
                                 job=factory.SelfAttribute("..job"), callback_requested=True, status="linked")
    resolution = factory.SubFactory(ResolutionFactory, job=factory.SelfAttribute("..job"))
    council = factory.SelfAttribute("job.council")
    due_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=5))


class FeedbackRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feedback.FeedbackRequest"

    job = factory.SubFactory(JobFactory, status="closed")
    enquiry = factory.SubFactory(EnquiryFactory, council=factory.SelfAttribute("..job.council"),
                                 job=factory.SelfAttribute("..job"), status="closed")
    customer = factory.SelfAttribute("enquiry.customer")
    job_closed_at = factory.LazyFunction(timezone.now)
    channel = "email"
    code = factory.Sequence(lambda n: f"TESTCD{n:04d}"[:10])
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))


def updates_given(job, *, by):
    """Every customer on the job is given an update (clearing the updates owed since the assessment),
    as a case manager does before the call ticket can close. Returns the job as it is now."""
    from jobs.customer_updates import customer_update_log

    customer_update_log(job=job, by=by, issue="Burst main", message="The repair is done and the water is back on.")
    return Job.objects.get(pk=job.pk)
