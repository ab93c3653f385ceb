"""The managers' dashboard (mounted at /dashboard/)."""

from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("clauses/", views.clauses, name="clauses"),
    path("overdue/", views.overdue, name="overdue"),
    path("ranking/", views.ranking, name="ranking"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_ack, name="alert-ack"),
    path("alerts/<int:alert_id>/close/", views.alert_close, name="alert-close"),
    path("annual/", views.annual_latest, name="annual-latest"),
    path("annual/<int:year>/", views.annual, name="annual"),
    path("annual/<int:year>/report.<str:fmt>", views.annual_file, name="annual-file"),
]
