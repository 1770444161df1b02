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


class DiaComplaintCategory(models.TextChoices):
    """The complaint categories of the DIA Non-Financial Performance Measures Rules 2013."""

    WATER_CLARITY = "water_clarity", "Water: drinking water clarity"
    WATER_TASTE = "water_taste", "Water: drinking water taste"
    WATER_ODOUR = "water_odour", "Water: drinking water odour"
    WATER_PRESSURE = "water_pressure", "Water: drinking water pressure or flow"
    WATER_CONTINUITY = "water_continuity", "Water: continuity of supply"
    WATER_RESPONSE = "water_response", "Water: our response to any of these"
    WASTEWATER_ODOUR = "wastewater_odour", "Wastewater: odour"
    WASTEWATER_FAULTS = "wastewater_faults", "Wastewater: system faults"
    WASTEWATER_BLOCKAGES = "wastewater_blockages", "Wastewater: system blockages"
    WASTEWATER_RESPONSE = "wastewater_response", "Wastewater: our response to issues with the system"
    STORMWATER_PERFORMANCE = "stormwater_performance", "Stormwater: performance of the system"


DIA_CATEGORY_SERVICE = {
    category: (
        Service.WATER_SUPPLY if category.startswith("water_")
        else Service.WASTEWATER if category.startswith("wastewater_")
        else Service.STORMWATER
    )
    for category in DiaComplaintCategory
}


class PersonalDataPage(models.TextChoices):
    """Where a customer's unmasked personal data was shown."""

    ENQUIRY_DETAIL = "enquiry_detail", "Enquiry page"
    JOB_DETAIL = "job_detail", "Job page"
    CUSTOMER_LOOKUP = "customer_lookup", "Customer lookup results"
    CUSTOMER_PICK = "customer_pick", "Customer picked at intake"
    CALLBACK_QUEUE = "callback_queue", "Call-back queue"
    CALLBACK_RECORD = "callback_record", "Call-back record"
    COMPLAINT_DETAIL = "complaint_detail", "Complaint page"
    LETTER_DOWNLOAD = "letter_download", "Letters downloaded (PDF)"
    FEEDBACK_LETTER = "feedback_letter", "Feedback letter printed"
