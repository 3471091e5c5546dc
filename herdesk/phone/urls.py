from django.urls import path

from . import views

app_name = "phone"
urlpatterns = [
    path("cti/events", views.cti_events, name="cti_events"),
    path("calls/<str:call_id>/link", views.call_link, name="call_link"),
]
