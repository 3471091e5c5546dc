from django.urls import path

from . import views

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
    path("preferences/", views.notice_preferences, name="preferences"),
]
