from django.urls import path

from . import views, views_help

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/phone/", views.login_phone, name="login_phone"),
    path("login/phone/verify/", views.login_verify, name="login_verify"),
    path("login/phone/resend/", views.login_resend, name="login_resend"),
    path("login/email/", views.login_email, name="login_email"),
    path("login/email/sent/", views.login_email_sent, name="login_email_sent"),
    path("login/link/<str:token>/", views.login_link, name="login_link"),
    path("logout/", views.logout, name="logout"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<str:number>/submitted/", views.ticket_submitted, name="ticket_submitted"),
    path("tickets/<str:number>/timeline/", views.ticket_timeline, name="ticket_timeline"),
    path("tickets/<str:number>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<str:number>/choose/", views.ticket_choose, name="ticket_choose"),
    path("tickets/<str:number>/confirm/", views.ticket_confirm, name="ticket_confirm"),
    path("tickets/<str:number>/dispute/", views.ticket_dispute, name="ticket_dispute"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("link/choose/<str:token>/", views.link_choose, name="link_choose"),
    path("link/confirm/<str:token>/", views.link_confirm, name="link_confirm"),
    # Help centre (knowledge base for customers and the public).
    path("help/", views_help.help_home, name="help_home"),
    path("help/suggest/", views_help.help_suggest, name="help_suggest"),
    path("help/undeflect/", views_help.help_undeflect, name="help_undeflect"),
    path("help/c/<slug:code>/", views_help.help_category, name="help_category"),
    path("help/a/<str:number>/", views_help.help_article, name="help_article"),
    path("help/a/<str:number>/vote/", views_help.help_vote, name="help_vote"),
    path("help/a/<str:number>/deflect/", views_help.help_deflect, name="help_deflect"),
    path("preferences/", views.notice_preferences, name="preferences"),
]
