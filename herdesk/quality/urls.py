from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("", views.home, name="home"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/draw/", views.plan_draw, name="plan_draw"),
    path("plans/<int:pk>/recheck/", views.plan_recheck, name="plan_recheck"),
    path("draws/<int:pk>/", views.draw_detail, name="draw"),
    path("items/<int:pk>/review/", views.item_review, name="item_review"),
    path("reviews/<int:pk>/", views.review_page, name="review"),
    path("reviews/<int:pk>/dispute/", views.review_dispute, name="review_dispute"),
    path("reviews/<int:pk>/accept/", views.review_accept, name="review_accept"),
    path("reviews/<int:pk>/decide/", views.review_decide, name="review_decide"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("versions/<int:pk>/", views.version_page, name="version"),
    path("versions/<int:pk>/<slug:action>/", views.version_action, name="version_action"),
    path("calibration/", views.calibration_list, name="calibrations"),
    path("calibration/<int:pk>/", views.calibration_page, name="calibration"),
    path("calibration/<int:pk>/close/", views.calibration_close, name="calibration_close"),
    path("calibration/items/<int:pk>/", views.calibration_item, name="calibration_item"),
    path("agents/", views.agents, name="agents"),
    path("agents/<int:pk>/", views.agent_page, name="agent"),
    path("agents/<int:pk>/appraise/", views.agent_appraise, name="agent_appraise"),
    path("agents/<int:pk>/export.xlsx", views.agent_export, name="agent_export"),
    path("weights/", views.weights, name="weights"),
]
