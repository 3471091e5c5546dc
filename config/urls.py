from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from herdesk.api.api import api
from herdesk.ops import views as ops_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", include("herdesk.ops.urls")),
    path("login/", auth_views.LoginView.as_view(template_name="auth/login.html"), name="login"),
    path("login/2fa/", include("herdesk.staff.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("channels/", include("herdesk.inbound.urls")),
    path("api/", api.urls),
    path("portal/", include("herdesk.portal.urls")),
    path("kb/", include("herdesk.kb.urls")),
    path("chat/", include("herdesk.chat.urls")),
    path("phone/", include("herdesk.phone.urls")),
    path("wechat/", include("herdesk.wechat.urls")),
    path("social/", include("herdesk.social.urls")),
    path("notifications/", include("herdesk.notifications.urls")),
    path("followup/", include("herdesk.followup.urls")),
    path("complaints/", include("herdesk.complaints.urls")),
    path("quality/", include("herdesk.quality.urls")),
    path("training/", include("herdesk.training.urls")),
    path("field/", include("herdesk.field.urls")),
    path("emergency/", include("herdesk.emergency.urls")),
    path("", include("herdesk.workspace.urls")),
]
admin.site.site_header = "牧服 Herdesk 管理"
admin.site.site_title = "牧服 Herdesk"
if settings.DEBUG:
    pass
