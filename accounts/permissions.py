"""Every role and scope predicate in one place.

Role predicates say what kind of work a user does; scope predicates say which
organisation's records they may see; transition predicates (``may_*(instance, user)``)
are what the state machines' ``permission=`` arguments call. Selectors turn the scope
predicates into querysets, so a list and a detail page can never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .enums import OrganisationKind, Role

if TYPE_CHECKING:
    from complaints.models import Complaint
    from enquiries.models import Enquiry
    from jobs.models import Job

    from .models import User


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def has_role(user, role: Role) -> bool:
    return _active(user) and user.has_role(role)


def is_call_centre(user) -> bool:
    return has_role(user, Role.CALL_CENTRE)


def is_case_manager(user) -> bool:
    return has_role(user, Role.CASE_MANAGER) and works_for_utility(user)


def is_crew(user) -> bool:
    return has_role(user, Role.CREW) and works_for_contractor(user)


def is_analyst(user) -> bool:
    return has_role(user, Role.ANALYST)


def is_admin(user) -> bool:
    return has_role(user, Role.ADMIN)


def is_privacy_officer(user) -> bool:
    return has_role(user, Role.PRIVACY_OFFICER)


# Organisation scope -----------------------------------------------------------------

def _org_kind(user) -> str | None:
    organisation = getattr(user, "organisation", None)
    return organisation.kind if organisation is not None else None


def works_for_utility(user) -> bool:
    return _active(user) and _org_kind(user) == OrganisationKind.UTILITY


def works_for_council(user) -> bool:
    return _active(user) and _org_kind(user) == OrganisationKind.COUNCIL


def works_for_contractor(user) -> bool:
    return _active(user) and _org_kind(user) == OrganisationKind.CONTRACTOR


def sees_all_councils(user) -> bool:
    """Utility staff work for every client council; council staff for their own only."""
    return works_for_utility(user)


def council_in_scope(user, council_id: int | None) -> bool:
    if sees_all_councils(user):
        return True
    return works_for_council(user) and council_id is not None and council_id == user.organisation_id


# What a user may see ----------------------------------------------------------------

def may_view_enquiries(user) -> bool:
    return (is_call_centre(user) and (works_for_council(user) or works_for_utility(user))) or (
        (is_case_manager(user) or is_analyst(user)) and works_for_utility(user)
    )


def may_view_enquiry(user, enquiry: Enquiry) -> bool:
    return may_view_enquiries(user) and council_in_scope(user, enquiry.council_id)


def may_log_enquiry(user) -> bool:
    return is_call_centre(user) and (works_for_council(user) or works_for_utility(user))


def may_view_jobs(user) -> bool:
    return may_view_enquiries(user) or is_crew(user)


def crew_sees_status(status: str) -> bool:
    from jobs.enums import CREW_VISIBLE_STATUSES

    return status in CREW_VISIBLE_STATUSES


def may_view_job(user, job: Job) -> bool:
    if is_crew(user) and job.contractor_id == user.organisation_id and crew_sees_status(job.status):
        return True
    return may_view_enquiries(user) and council_in_scope(user, job.council_id)


def may_retry_job_messages(user, job: Job) -> bool:
    """The e-mails and texts about a job that failed for good are shown, with "Retry", to the
    case managers (they act on the customers' contact; others do not see the addresses)."""
    return is_case_manager(user) and may_view_job(user, job)


def may_view_reports(user) -> bool:
    """Analysts and case managers read and download the trend reports."""
    return is_analyst(user) or is_case_manager(user)


def may_generate_report(user) -> bool:
    return is_analyst(user)


def may_publish_period(user) -> bool:
    """Publishing a period moves its closed jobs to 'reported' (see may_report_job)."""
    return is_analyst(user)


def may_view_customer_contact(user, record: Job | Enquiry, customer_id: int | None = None) -> bool:
    """Whether this user sees the customers' name, phone, e-mail and postal address on this record.

    Privacy Act 2020 (principles 5 and 11): personal data only for the roles whose work needs
    it. The call-centre of the record's council (they take and return the calls), case
    managers (they contact customers about the job), and a crew only for the customer the
    case manager marked as the job's site contact (``customer_id``), while the job is
    dispatched to its contractor and the work is under way (dispatched to in repair; not once
    it is completed). Everyone else (analysts, admins, other crews, a crew for the other
    callers, a crew once the work is done) sees none of it: pages say "the customer".
    """
    if is_case_manager(user):
        return True
    if is_call_centre(user) and council_in_scope(user, record.council_id):
        return True
    if is_crew(user) and record._meta.label == "jobs.Job":
        return crew_works_job_now(user, record) and customer_id is not None and record.site_contact_id == customer_id
    return False


def crew_works_job_now(user, job: Job) -> bool:
    """The job is dispatched to this crew's contractor and its work is not yet done."""
    from jobs.enums import CREW_ACTIVE_STATUSES

    return (is_crew(user) and job.contractor_id is not None and job.contractor_id == user.organisation_id
            and job.status in CREW_ACTIVE_STATUSES)


def may_view_access_notes(user, job: Job) -> bool:
    """The site's access notes (gate codes, dogs, who to ask): the staff who may contact the
    customers, and the crew while the job is theirs and under way."""
    return may_view_customer_contact(user, job) or crew_works_job_now(user, job)


def may_download_letters(user, job: Job) -> bool:
    """Letter PDFs carry customers' names and postal addresses: for the staff who send them."""
    return may_view_customer_contact(user, job) and (is_case_manager(user) or is_call_centre(user))


def may_view_access_log(user) -> bool:
    """Who saw which customer's details: the privacy officer of the utility (every council) or of
    a council (its own customers)."""
    return is_privacy_officer(user) and (works_for_utility(user) or works_for_council(user))


def may_search_by_customer(user) -> bool:
    """Finding records by a customer's name or phone is for the roles that may see them whole.

    The list-level side of ``may_view_customer_contact``: a search answers "is this person a
    customer, and where" even when the rows are masked. Call-centre staff search within the
    councils they see; a crew has no such search.
    """
    return is_case_manager(user) or is_call_centre(user)


def may_read_internal_note(user, *, author_organisation_id: int | None) -> bool:
    """Internal notes are the utility's and its contractors' working notes, not the councils'.

    The utility's staff read every note; a crew reads the notes its own contractor's
    people wrote; council staff read none.
    """
    if works_for_utility(user):
        return True
    return is_crew(user) and author_organisation_id is not None and author_organisation_id == user.organisation_id


def may_triage(user) -> bool:
    """Case managers turn enquiries into jobs and run them."""
    return is_case_manager(user)


# Transition predicates: (instance, user) -------------------------------------------

def may_triage_job(job: Job, user: User) -> bool:
    return is_case_manager(user)


def may_work_job_on_site(job: Job, user: User) -> bool:
    """The crew of the contractor the job was dispatched to, or a case manager for them."""
    if is_crew(user):
        return job.contractor_id is not None and job.contractor_id == user.organisation_id
    return is_case_manager(user)


def may_update_customers(job: Job, user: User) -> bool:
    """'Log customer update': the utility's case managers, or the crew the job is dispatched to."""
    return may_work_job_on_site(job, user)


def may_close_job(job: Job, user: User) -> bool:
    """The council closes the call ticket; the utility's case manager may too."""
    if is_case_manager(user):
        return True
    return is_call_centre(user) and council_in_scope(user, job.council_id)


def may_reopen_job(job: Job, user: User) -> bool:
    """Case managers reopen; the call-centre may reopen a completed job of their council when the
    customer says on the call-back that it is not fixed."""
    if is_case_manager(user):
        return True
    from jobs.enums import JobStatus

    return job.status == JobStatus.COMPLETED and is_call_centre(user) and council_in_scope(user, job.council_id)


def may_view_callbacks(user) -> bool:
    """The call-back queue: the council's call-centre (their council), and case managers."""
    return may_log_enquiry(user) or is_case_manager(user)


def may_record_callback(callback, user: User) -> bool:
    """'Record call-back': the call-centre of the job's council, or a case manager."""
    if is_case_manager(user):
        return True
    return is_call_centre(user) and council_in_scope(user, callback.council_id)


def may_record_feedback(user) -> bool:
    """Feedback given by phone is typed in by the call-centre or a case manager."""
    return may_log_enquiry(user) or is_case_manager(user)


def may_report_job(job: Job, user: User) -> bool:
    return is_analyst(user)


def may_link_enquiry(enquiry: Enquiry, user: User) -> bool:
    """Case managers link enquiries; call-centre staff may link at intake, in their council."""
    if is_case_manager(user):
        return True
    return is_call_centre(user) and council_in_scope(user, enquiry.council_id)


def may_unlink_enquiry(enquiry: Enquiry, user: User) -> bool:
    """Only the utility's case managers take an enquiry back off a job."""
    return is_case_manager(user)


def may_resolve_enquiry(enquiry: Enquiry, user: User) -> bool:
    return may_link_enquiry(enquiry, user)


def may_close_enquiry(enquiry: Enquiry, user: User) -> bool:
    return is_case_manager(user) or (is_call_centre(user) and council_in_scope(user, enquiry.council_id))


# Complaints ---------------------------------------------------------------------------

def may_view_complaints(user) -> bool:
    """Case managers run complaints; a council's call-centre sees its own council's. Crews and analysts: none."""
    return is_case_manager(user) or (is_call_centre(user) and (works_for_council(user) or works_for_utility(user)))


def may_view_complaint(user, complaint: Complaint) -> bool:
    return may_view_complaints(user) and council_in_scope(user, complaint.council_id)


def may_log_complaint(user) -> bool:
    return may_view_complaints(user)


def may_run_complaint(complaint: Complaint, user: User) -> bool:
    """Understand, discuss, agree next steps, escalate, resolve, close, reopen: the utility's case managers."""
    return is_case_manager(user)


def may_withdraw_complaint(complaint: Complaint, user: User) -> bool:
    """The customer may withdraw through their council's call-centre, or the case manager."""
    return is_case_manager(user) or (is_call_centre(user) and council_in_scope(user, complaint.council_id))


def may_own_complaint_work(user, council_id: int | None) -> bool:
    """An escalation or next-step owner: active utility staff, or staff of the complaint's own council."""
    return works_for_utility(user) or (works_for_council(user) and council_id is not None
                                       and user.organisation_id == council_id)


def home_url_name(user) -> str | None:
    """The home page of the first role this user holds."""
    for _role, predicate, url_name in ROLE_HOMES:
        if predicate(user):
            return url_name
    return None


ROLE_HOMES = (
    (Role.CALL_CENTRE, may_log_enquiry, "enquiries:home"),
    (Role.CASE_MANAGER, is_case_manager, "jobs:triage"),
    (Role.CREW, is_crew, "jobs:crew-queue"),
    (Role.ANALYST, is_analyst, "reporting:dashboard"),
    (Role.ADMIN, is_admin, "accounts:admin-home"),
    (Role.PRIVACY_OFFICER, may_view_access_log, "enquiries:access-log"),
)


# The system actor --------------------------------------------------------------------

class SystemActor:
    """The application itself acting (demo data, scheduled work): services skip the role
    checks for it and log the change with no user. Services refuse ``by=None`` outright, so
    a missing user can never pass for the system by accident."""

    is_authenticated = False
    is_active = False
    pk = None

    def __str__(self) -> str:
        return "the system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


def actor_user(by):
    """The user to record for ``by``: None for the system; refuses a missing actor."""
    if by is None:
        raise TypeError("Say who acts: a user, or accounts.permissions.SYSTEM.")
    return None if by is SYSTEM else by


def is_system(by) -> bool:
    return by is SYSTEM
