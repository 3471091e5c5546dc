from django.urls import path

from . import views

app_name = "social"
urlpatterns = [
    path("webhook", views.webhook, name="webhook"),
]
