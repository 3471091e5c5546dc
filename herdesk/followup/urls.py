from __future__ import annotations

from django.urls import path

from . import views

app_name = "followup"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("count/", views.count_fragment, name="count"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/call/", views.task_call, name="task_call"),
    path("tasks/<int:pk>/survey/", views.task_survey, name="task_survey"),
    path("tasks/<int:pk>/unreachable/", views.task_unreachable, name="task_unreachable"),
    path("reviews/", views.review_list, name="reviews"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/decide/", views.review_decide, name="review_decide"),
    path("reviews/<int:pk>/close/", views.review_close, name="review_close"),
    path("reviews/<int:pk>/reopen/", views.review_reopen, name="review_reopen"),
    path("reviews/<int:pk>/actions/<int:action>/done/", views.review_action_done, name="review_action_done"),
    path("rate/", views.rate, name="rate"),
    path("s/<str:token>/", views.survey, name="survey"),
    path("r/<str:token>/", views.rating, name="rating"),
    path("suggest/", views.suggest, name="suggest"),
    path("ticket/<str:number>/rate/", views.rate_ticket, name="rate_ticket"),
]
