from django.urls import path

from . import views

app_name = "chat"
urlpatterns = [
    path("console/", views.console, name="console"),
    path("widget-demo/", views.widget_demo, name="widget_demo"),
]
