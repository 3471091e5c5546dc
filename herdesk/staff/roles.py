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
]

ROLES: dict[str, dict] = {
    "agent": {"label": _("Service agent"), "perms": _HANDLER},
    "tech_engineer": {"label": _("Technical support engineer"), "perms": _HANDLER},
    "field_engineer": {"label": _("After-sales field engineer"), "perms": _HANDLER},
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
        ],
    },
    "customer": {"label": _("Customer (portal)"), "perms": []},
}

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
