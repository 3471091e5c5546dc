from django.urls import include, path

from . import views

app_name = "inbound"
urlpatterns = [
    path("", views.channels_page, name="channels"),
    path("health", views.health, name="health"),
    path("payloads/<int:pk>/raw", views.payload_raw, name="payload_raw"),
    path("payloads/<int:pk>/<str:action>", views.payload_action, name="payload_action"),
    # Channel apps' pages live under /channels/<channel>/ (one include in config/urls.py for all).
    path("mail/", include("herdesk.mail.urls")),
]
