"""The managers' dashboard (mounted at /dashboard/)."""

from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_ack, name="alert-ack"),
]
