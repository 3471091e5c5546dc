from __future__ import annotations

from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.home, name="home"),
    path("modules/", views.modules, name="modules"),
    path("modules/<int:pk>/", views.module_detail, name="module"),
    path("modules/<int:pk>/do/<slug:action>/", views.module_action, name="module_action"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("exams/<int:pk>/", views.exam_detail, name="exam"),
    path("exams/<int:pk>/edit/", views.exam_edit, name="exam_edit"),
    path("exams/<int:pk>/take/", views.exam_take, name="take"),
    path("questions/<int:pk>/", views.question_edit, name="question"),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt"),
    path("grading/", views.grading, name="grading"),
    path("onboarding/", views.onboarding, name="onboarding"),
    path("onboarding/<int:pk>/", views.plan_detail, name="plan"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("mentors/", views.mentors, name="mentors"),
    path("mentors/<int:pk>/", views.mentorship_detail, name="mentorship"),
]
