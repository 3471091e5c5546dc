from __future__ import annotations

from django.urls import path

from . import views, views_equipment, views_offline

app_name = "field"
urlpatterns = [
    path("", views.equipment_list, name="equipment_list"),
    path("equipment/new/", views.equipment_new, name="equipment_new"),
    path("equipment/import/", views.equipment_import, name="equipment_import"),
    path("equipment/export.<str:fmt>", views.equipment_export, name="equipment_export"),
    path("equipment/<int:pk>/", views.equipment_detail, name="equipment"),
    path("equipment/<int:pk>/edit/", views_equipment.equipment_edit, name="equipment_edit"),
    path("equipment/<int:pk>/label/", views.equipment_label, name="equipment_label"),
    path("equipment/<int:pk>/reading/", views.equipment_reading, name="equipment_reading"),
    path("equipment/<int:pk>/document/", views.equipment_document, name="equipment_document"),
    path("e/<str:code>/", views.equipment_public, name="public"),
    path("ticket/<str:number>/equipment/", views.ticket_equipment, name="ticket_equipment"),
    path("ticket/<str:number>/work-order/", views.ticket_work_order, name="ticket_work_order"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<str:number>/", views.order_detail, name="order"),
    path("orders/<str:number>/schedule/", views.order_schedule, name="order_schedule"),
    path("orders/<str:number>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<str:number>/report.pdf", views.order_report, name="order_report"),
    path("my/", views.my_day, name="my_day"),
    path("my/sw.js", views_offline.service_worker, name="sw"),
    path("my/<str:number>/", views.my_order, name="my_order"),
    path("my/<str:number>/<slug:action>/", views.my_action, name="my_action"),
    path("board/", views.board, name="board"),
    path("alerts/", views.alerts, name="alerts"),
    path("plans/", views.plans, name="plans"),
    path("ics/<str:token>.ics", views.ics, name="ics"),
]
