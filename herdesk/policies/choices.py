from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    RETIRED = "retired", _("Retired")


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    TRIAGE = "triage", _("Triage")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge (查收确认)")
    SOLUTION_PLAN = "solution_plan", _("Solution options")
    RESOLUTION = "resolution", _("Resolution")
    PROGRESS_UPDATE = "progress_update", _("Progress update")
    FOLLOW_UP = "follow_up", _("Satisfaction follow-up")
    RECORD_FINALIZE = "record_finalize", _("Record finalised")
    COMPLAINT_START = "complaint_start", _("Complaint handling started")
    COMPLAINT_SOLUTION = "complaint_solution", _("Complaint solution or progress")
    # FLD-2: an engineer on site within the promised working hours of the work order's dispatch.
    ONSITE_ARRIVAL = "onsite_arrival", _("On-site arrival")


class Event(models.TextChoices):
    """Ticket events that start, stop or pause clocks (the DESIGN clock model)."""

    RECEIVED = "received", _("Received")
    TRIAGED = "triaged", _("Triaged (type, complexity and team set)")
    ASSIGNED = "assigned", _("Assigned or transferred")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the assignee")
    FIRST_RESPONSE = "first_response", _("First human response to the customer")
    OPTIONS_OFFERED = "options_offered", _("Solution options offered")
    PROGRESS_GIVEN = "progress_given", _("Solution or progress given")
    HANDLING_STARTED = "handling_started", _("Handling started")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed")
    FOLLOW_UP_RECORDED = "follow_up_recorded", _("Satisfaction follow-up recorded")
    RECORD_FINALIZED = "record_finalized", _("Record finalised")
    CANCELLED = "cancelled", _("Cancelled or merged")
    # Field service (FLD-2): a work order of the ticket booked for an engineer, and the recorded
    # arrival on site.
    DISPATCHED = "dispatched", _("Work order dispatched to an engineer")
    ARRIVED_ON_SITE = "arrived_on_site", _("Engineer arrived on site")


class Action(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
    NOTIFY_TEAM_LEAD = "notify_team_lead", _("Notify the team lead")
    NOTIFY_SUPERVISOR = "notify_supervisor", _("Notify the supervisors")
    NOTIFY_ACCOUNT_MANAGER = "notify_account_manager", _("Notify the account manager")
    ESCALATE_PRIORITY = "escalate_priority", _("Escalate priority")
    REASSIGN = "reassign", _("Reassign to the team lead")
    REASSIGN_LEAST_LOADED = "reassign_least_loaded", _("Reassign to the team's least-loaded agent")
