from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "workspace"
urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
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
]
