"""Roles as permission groups (STF-1, least privilege — S3 §7.4).

Each role lists exactly the model permissions it needs; `roles_sync()` makes the groups match.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Custom permissions declared in model Meta.permissions:
#   tickets.view_all_tickets, tickets.reassign_ticket, customers.view_personal_data,
#   policies.approve_policy, analytics via tickets.view_reports
_HANDLER = [
    "tickets.view_ticket",
    "tickets.add_ticket",
    "tickets.change_ticket",
    "tickets.add_interaction",
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
    "catalog.view_product",
    # Knowledge base (KB-1): every handler reads and writes drafts; reviewers are chosen per category.
    "kb.view_article",
    "kb.add_article",
    "kb.change_article",
    # Complaints (CMP-1..4): a handler sees the complaints they own or handle; an account manager
    # sees their accounts' complaints and signs off the solution (CMP-4).
    "complaints.view_complaint",
    # Follow-up worklist (CLS-2): every handler works the follow-ups of the tickets they resolved.
    "followup.view_followuptask",
    "followup.change_followuptask",
    # Field service (FLD-1..2): every handler sees the customer's equipment and work orders.
    "field.view_equipment",
    "field.view_workorder",
]
# Field service (FLD-1..4): engineers register equipment and carry out work orders; the
# after-sales dispatcher (supervisor) books them, declares disease alerts and keeps the plans.
_FIELD_WORK = [
    "field.add_equipment",
    "field.change_equipment",
    "field.add_workorder",
    "field.change_workorder",
    "field.view_diseasealert",
    "field.view_maintenanceplan",
]
_FIELD_DISPATCH = [
    *_FIELD_WORK,
    "field.schedule_workorder",
    "field.add_diseasealert",
    "field.add_maintenanceplan",
    "field.change_maintenanceplan",
]

ROLES: dict[str, dict] = {
    "agent": {"label": _("Service agent"), "perms": _HANDLER},
    "tech_engineer": {"label": _("Technical support engineer"), "perms": _HANDLER},
    "field_engineer": {"label": _("After-sales field engineer"), "perms": [*_HANDLER, *_FIELD_WORK]},
    "account_manager": {
        "label": _("Account manager"),
        "perms": [*_HANDLER, "customers.view_personal_data"],
    },
    "supervisor": {
        "label": _("Supervisor"),
        "perms": [
            *_HANDLER,
            "tickets.view_all_tickets",
            "tickets.reassign_ticket",
            "customers.view_personal_data",
            "tickets.view_reports",
            "policies.view_servicepolicy",
            # S1 §六: the customer-service department drafts revisions of the regulation.
            "policies.view_policyversion",
            "policies.add_policyversion",
            "policies.change_policyversion",
            "kb.review_article",
            "kb.view_kb_reports",
            # Complaints (CMP-1..4): works every complaint and edits the cause taxonomy.
            "complaints.view_all_complaints",
            "complaints.work_complaint",
            "complaints.view_complaint_reports",
            "complaints.view_causecategory",
            "complaints.add_causecategory",
            "complaints.change_causecategory",
            # Follow-up reviews (复盘) of every team, not only those they own (CLS-2).
            "followup.view_followupreview",
            "followup.change_followupreview",
            # Supervision (issue #17): reads reviews, decides disputes, comments on agents' scorecards.
            "quality.view_review",
            "quality.decide_dispute",
            "quality.view_all_scorecards",
            "quality.add_appraisal",
            "quality.view_inspectionplan",
            *_FIELD_DISPATCH,
        ],
    },
    "qa": {
        "label": _("Supervision group member"),
        "perms": [
            "tickets.view_ticket",
            "tickets.view_all_tickets",
            "customers.view_customer",
            "tickets.view_reports",
            "policies.view_servicepolicy",
            "kb.view_article",
            "kb.review_article",
            "kb.view_kb_reports",
            # Complaints (CMP-1..4): the supervision group works every complaint (S1 §五(二)).
            "complaints.view_complaint",
            "complaints.view_all_complaints",
            "complaints.work_complaint",
            "complaints.view_complaint_reports",
            "complaints.view_causecategory",
            # The supervision group (issue #17): plans, samples, scorecards, reviews, calibration.
            "quality.view_scorecard",
            "quality.add_scorecard",
            "quality.change_scorecard",
            "quality.view_inspectionplan",
            "quality.add_inspectionplan",
            "quality.change_inspectionplan",
            "quality.view_review",
            "quality.add_review",
            "quality.decide_dispute",
            "quality.add_calibrationsession",
            "quality.view_all_scorecards",
            "quality.change_scoreweights",
        ],
    },
    "management": {
        "label": _("Management"),
        "perms": [
            "tickets.view_ticket",
            "tickets.view_all_tickets",
            "tickets.view_reports",
            "customers.view_customer",
            "policies.view_servicepolicy",
            "policies.view_policyversion",
            "policies.approve_policy",
            "calendars.view_calendar",
            "complaints.view_complaint",
            "complaints.view_all_complaints",
            "complaints.view_complaint_reports",
            # Agent scorecards (KPI-3) and their weights.
            "quality.view_review",
            "quality.view_all_scorecards",
            "quality.change_scoreweights",
            "quality.add_appraisal",
        ],
    },
    "admin": {
        "label": _("Administrator"),
        "perms": [
            "staff.view_user",
            "staff.add_user",
            "staff.change_user",
            "staff.view_team",
            "staff.add_team",
            "staff.change_team",
            "auth.view_group",
            "auth.change_group",
            "catalog.view_product",
            "catalog.add_product",
            "catalog.change_product",
            "tickets.view_category",
            "tickets.add_category",
            "tickets.change_category",
            "policies.view_servicepolicy",
            "policies.add_servicepolicy",
            "policies.change_servicepolicy",
            "policies.view_policyversion",
            "policies.add_policyversion",
            "policies.change_policyversion",
            "calendars.view_calendar",
            "calendars.change_calendar",
            "tickets.view_ticket",
            "tickets.view_all_tickets",
            "customers.view_customer",
            "customers.change_customer",
            "customers.view_organisation",
            "customers.change_organisation",
            "audit.view_auditentry",
            "savedviews.view_savedreply",
            "savedviews.add_savedreply",
            "savedviews.change_savedreply",
            "savedviews.delete_savedreply",
            "attachments.view_attachment",
            "inbound.view_inboundpayload",
            "inbound.change_inboundpayload",
            "inbound.view_inboundsource",
            "inbound.view_channel_health",
            "mail.view_mailbox",
            "mail.add_mailbox",
            "mail.change_mailbox",
            "mail.view_emailmessage",
            "kb.view_article",
            "kb.view_kbcategory",
            "kb.add_kbcategory",
            "kb.change_kbcategory",
            "kb.view_synonymgroup",
            "kb.add_synonymgroup",
            "kb.change_synonymgroup",
            "kb.delete_synonymgroup",
            # A customer's notice preference given by phone (saved through the audited service).
            "notifications.view_customernoticepreference",
            "notifications.add_customernoticepreference",
            "notifications.change_customernoticepreference",
            # Field service: the equipment registry (import), the parts catalogue and stores.
            "field.view_equipment",
            "field.add_equipment",
            "field.change_equipment",
            "field.view_part",
            "field.add_part",
            "field.change_part",
            "field.view_store",
            "field.add_store",
            "field.change_store",
            "field.view_stock",
            "field.change_stock",
        ],
    },
    "customer": {"label": _("Customer (portal)"), "perms": []},
}

# Training (STF-2): the supervisor and the supervision group run the curriculum and grade exams; only
# a supervisor lets a new agent take tickets before onboarding is complete; administrators manage it.
for _role, _perms in {
    "supervisor": ["training.manage_training", "training.grade_exam", "training.override_onboarding"],
    "qa": ["training.manage_training", "training.grade_exam"],
    "admin": ["training.manage_training"],
}.items():
    ROLES[_role]["perms"] = [*ROLES[_role]["perms"], *_perms]
# Emergencies (EMG-1, EMG-2, issue 19): every member of staff sees incidents and plans; supervisors
# (the incident commander) and management declare and run incidents; supervisors and admins edit plans.
_EMG_VIEW = ["emergency.view_incident", "emergency.view_contingencyplan"]
_EMG_RUN = ["emergency.add_incident", "emergency.change_incident"]
_EMG_PLAN = ["emergency.change_contingencyplan", "emergency.change_messagetemplate"]
for _role, _extra in {
    "agent": _EMG_VIEW,
    "tech_engineer": _EMG_VIEW,
    "field_engineer": _EMG_VIEW,
    "account_manager": _EMG_VIEW,
    "supervisor": [*_EMG_VIEW, *_EMG_RUN, *_EMG_PLAN],
    "qa": _EMG_VIEW,
    "management": [*_EMG_VIEW, *_EMG_RUN],
    "admin": [*_EMG_VIEW, *_EMG_PLAN],
}.items():
    ROLES[_role]["perms"] = [*ROLES[_role]["perms"], *_extra]

STAFF_ROLES = [r for r in ROLES if r != "customer"]
