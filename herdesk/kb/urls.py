from django.urls import path

from . import views

app_name = "kb"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_new, name="new"),
    path("review/", views.review_queue, name="review"),
    path("health/", views.health, name="health"),
    path("synonyms/", views.synonyms, name="synonyms"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("ticket/<str:number>/use/<str:article>/", views.ticket_use, name="ticket_use"),
    path("ticket/<str:number>/solved/<str:article>/", views.ticket_solved, name="ticket_solved"),
    path("ticket/<str:number>/propose/", views.ticket_propose, name="ticket_propose"),
    path("<str:number>/", views.article_detail, name="article"),
    path("<str:number>/v/<int:version>/", views.article_detail, name="version"),
    path("<str:number>/edit/", views.article_edit, name="edit"),
    path("<str:number>/diff/", views.article_diff, name="diff"),
    path("<str:number>/attach/", views.article_attach, name="attach"),
    path("<str:number>/do/<slug:action>/", views.article_action, name="action"),
]
