from django.urls import path

from . import views

app_name = "emergency"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("banner/", views.banner, name="banner"),
    path("declare/", views.incident_declare, name="declare"),
    path("drills/new/", views.drill_schedule, name="drill_new"),
    path("plans/<slug:code>/", views.plan_detail, name="plan"),
    path("plans/<slug:code>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<slug:code>/templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("<str:number>/", views.incident_page, name="incident"),
    path("<str:number>/do/<slug:action>/", views.incident_action, name="action"),
]
