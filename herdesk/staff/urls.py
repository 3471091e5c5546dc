from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("", views.twofactor_verify, name="2fa_verify"),
    path("setup/", views.twofactor_setup, name="2fa_setup"),
]
