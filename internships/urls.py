"""The contractor portal's pages (mounted at /portal/)."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.index, name="index"),
    path("contracts/<int:contract_id>/", views.contract_detail, name="contract"),
    path("contracts/<int:contract_id>/upload/", views.upload, name="upload"),
    path(
        "contracts/<int:contract_id>/periods/<str:period>/report/",
        views.report_edit,
        name="report-edit",
    ),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
    path("reports/<int:report_id>/submit/", views.report_submit, name="report-submit"),
    path("reports/<int:report_id>/delete/", views.report_delete, name="report-delete"),
    path("reports/<int:report_id>/correct/", views.report_correct, name="report-correct"),
]
