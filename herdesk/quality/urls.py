from django.urls import path

from . import views, views_scorecards

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
    path("scorecards/", views_scorecards.scorecards, name="scorecards"),
    path("scorecards/new/", views_scorecards.scorecard_new, name="scorecard_new"),
    path("versions/<int:pk>/", views_scorecards.version_page, name="version"),
    path("versions/<int:pk>/sections/new/", views_scorecards.section_new, name="section_new"),
    path("versions/<int:pk>/<slug:action>/", views_scorecards.version_action, name="version_action"),
    path("sections/<int:pk>/", views_scorecards.section_edit, name="section"),
    path("sections/<int:pk>/criteria/new/", views_scorecards.criterion_new, name="criterion_new"),
    path("criteria/<int:pk>/", views_scorecards.criterion_edit, name="criterion"),
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
