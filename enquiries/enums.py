from django.db import models


class Service(models.TextChoices):
    WATER_SUPPLY = "water_supply", "Water supply"
    WASTEWATER = "wastewater", "Wastewater"
    STORMWATER = "stormwater", "Stormwater"


class ContactChannel(models.TextChoices):
    """How a customer prefers to be contacted."""

    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    FACE_TO_FACE = "face_to_face", "Face to face"
    SMS = "sms", "SMS"


class ReceivedChannel(models.TextChoices):
    """How the enquiry reached the council."""

    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    WALK_IN = "walk_in", "Walk-in"
    WEB = "web", "Web"


class EnquiryStatus(models.TextChoices):
    NEW = "new", "New"
    LINKED = "linked", "Linked to job"
    RESOLVED = "resolved", "Resolved at first contact"
    CLOSED = "closed", "Closed"


class PersonalDataPage(models.TextChoices):
    """Where a customer's unmasked personal data was shown."""

    ENQUIRY_DETAIL = "enquiry_detail", "Enquiry page"
    JOB_DETAIL = "job_detail", "Job page"
    CUSTOMER_LOOKUP = "customer_lookup", "Customer lookup results"
    CUSTOMER_PICK = "customer_pick", "Customer picked at intake"
