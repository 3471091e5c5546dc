from django.urls import path

from . import views

app_name = "mail"
urlpatterns = [
    path("<int:pk>/", views.email_show, name="email"),
    path("<int:pk>/original", views.email_raw, name="email_raw"),
    path("attachments/<int:pk>", views.attachment_download, name="attachment"),
]
