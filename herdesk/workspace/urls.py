from django.urls import path

from . import views, views_onsite, views_search
from . import views_governance as gov
from .views import dashboards, reports

app_name = "workspace"
urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", views.favicon),
    path("queues/<slug:queue>/", views.queue, name="queue"),
    path("queues/<slug:queue>/export.xlsx", views.queue_export, name="queue_export"),
    path("queues-counts/", views.queue_counts_fragment, name="queue_counts"),
    path("queues-bulk-reassign/", views.bulk_reassign, name="bulk_reassign"),
    path("views/save/", views.savedview_create, name="savedview_save"),
    path("views/<int:pk>/delete/", views.savedview_remove, name="savedview_delete"),
    path("go/", views.go, name="go"),
    path("search/", views_search.search, name="search"),
    path("search/export.xlsx", views_search.search_export, name="search_export"),
    path("intake/", views.intake_page, name="intake"),
    path("intake/lookup/", views.intake_lookup, name="intake_lookup"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<str:number>/route/", views.route_suggestion, name="route_suggestion"),
    path("tickets/<str:number>/do/<slug:action>/", views.ticket_action, name="ticket_action"),
    path("tickets/<str:number>/onsite-visit/", views_onsite.onsite_visit, name="onsite_visit"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment_download"),
    path("customers/", views.customers, name="customers"),
    path("customers/<int:pk>/", views.customer_detail, name="customer"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("contacts/<int:pk>/reveal/", views.contact_reveal, name="contact_reveal"),
    path("contacts/<int:pk>/dial/", views.contact_dial, name="contact_dial"),
    path("follow-up/", views.follow_up, name="follow_up"),
    path("chat-waiting/", views.chat_waiting_fragment, name="chat_waiting"),
    path("supervisor/", views.supervisor_board, name="supervisor"),
    path("supervisor/compliance/", views.compliance, name="compliance"),
    path("reports/", reports.service_reports, name="reports"),
    path(
        "reports/<str:kind>/<str:label>.<str:fmt>",
        reports.service_report_download,
        name="report_download",
    ),
    path("supervisor/triage/", reports.triage_model, name="triage_model"),
    path("reports/peaks/", reports.peak_analysis, name="peaks"),
    path("dashboard/me/", dashboards.agent_dashboard, name="dashboard_agent"),
    path("dashboard/agents/<int:pk>/", dashboards.agent_figures, name="dashboard_agent_figures"),
    path("dashboard/team/", dashboards.supervisor_dashboard, name="dashboard_supervisor"),
    path("dashboard/centre/", dashboards.management_dashboard, name="dashboard_management"),
    path("reports/archive/<int:pk>/", reports.report_archive_download, name="report_archive"),
    # Governance (POL-1/2, CAL-1): views_governance.py
    path("governance/policies/", gov.policy_list, name="policies"),
    path("governance/policies/draft/", gov.policy_draft, name="policy_draft"),
    path("governance/policies/diff/", gov.policy_diff, name="policy_diff"),
    path("governance/policies/<int:pk>/", gov.policy_version, name="policy_version"),
    path("governance/policies/<int:pk>/clocks/", gov.policy_clocks_save, name="policy_clocks"),
    path("governance/policies/<int:pk>/submit/", gov.policy_submit, name="policy_submit"),
    path("governance/policies/<int:pk>/decide/", gov.policy_decide, name="policy_decide"),
    path("governance/calendars/", gov.calendar_list, name="calendars"),
    path("governance/calendars/<slug:code>/", gov.calendar_page, name="calendar"),
    path("governance/calendars/<slug:code>/hours/", gov.calendar_hours, name="calendar_hours"),
    path("governance/calendars/<slug:code>/closures/", gov.calendar_closure_add, name="calendar_closure_add"),
    path(
        "governance/calendars/<slug:code>/closures/remove/",
        gov.calendar_closure_remove,
        name="calendar_closure_remove",
    ),
    path(
        "governance/calendars/<slug:code>/holidays/",
        gov.calendar_holidays_import,
        name="calendar_holidays_import",
    ),
]
