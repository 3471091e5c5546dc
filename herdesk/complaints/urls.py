from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("analysis/", views.analysis, name="analysis"),
    path("causes/", views.causes, name="causes"),
    path("capa/<int:pk>/do/<slug:action>/", views.capa_action, name="capa_action"),
    path("<str:number>/", views.complaint_detail, name="detail"),
    path("<str:number>/do/<slug:action>/", views.complaint_action, name="action"),
    path("<str:number>/rca/", views.complaint_rca, name="rca"),
    path("<str:number>/capa/", views.capa_add, name="capa_add"),
    path("<str:number>/8d.pdf", views.report_pdf, name="report"),
]
