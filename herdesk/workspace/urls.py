from django.urls import path

from . import views, views_onsite

app_name = "workspace"
urlpatterns = [
    path("", views.home, name="home"),
    path("queues/<slug:queue>/", views.queue, name="queue"),
    path("queues-counts/", views.queue_counts_fragment, name="queue_counts"),
    path("queues-bulk-reassign/", views.bulk_reassign, name="bulk_reassign"),
    path("views/save/", views.savedview_create, name="savedview_save"),
    path("views/<int:pk>/delete/", views.savedview_remove, name="savedview_delete"),
    path("go/", views.go, name="go"),
    path("intake/", views.intake_page, name="intake"),
    path("intake/lookup/", views.intake_lookup, name="intake_lookup"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<str:number>/route/", views.route_suggestion, name="route_suggestion"),
    path("tickets/<str:number>/do/<slug:action>/", views.ticket_action, name="ticket_action"),
    path("tickets/<str:number>/onsite-visit/", views_onsite.onsite_visit, name="onsite_visit"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment_download"),
    path("supervisor/", views.supervisor_board, name="supervisor"),
    path("supervisor/compliance/", views.compliance, name="compliance"),
]
