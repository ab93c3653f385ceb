"""The REST API under /api/v1/ (docs/API.md)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from contracts.api import views as contract_views
from core.api import views as core_views
from internships.api import views as internship_views
from matching.api import views as matching_views
from procurement.api import views as procurement_views

router = DefaultRouter()
router.register("districts", procurement_views.DistrictViewSet, basename="district")
router.register("target-groups", contract_views.TargetGroupViewSet, basename="target-group")
router.register("contractors", procurement_views.ContractorViewSet, basename="contractor")
router.register("procurements", procurement_views.ProcurementViewSet, basename="procurement")
router.register("contracts", contract_views.ContractViewSet, basename="contract")
router.register("clauses", contract_views.ClauseViewSet, basename="clause")
router.register("reports", internship_views.ReportViewSet, basename="report")
router.register("rows", matching_views.RowViewSet, basename="row")
router.register("referrals", matching_views.ReferralViewSet, basename="referral")
router.register("alerts", contract_views.AlertViewSet, basename="alert")
router.register("compliance", contract_views.ComplianceViewSet, basename="compliance")
router.register("ocds/contracts", contract_views.OCDSContractViewSet, basename="ocds-contract")

urlpatterns = [
    path("auth/token/", core_views.TokenView.as_view(), name="auth-token"),
    path("auth/logout/", core_views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logoutall/", core_views.LogoutAllView.as_view(), name="auth-logout-all"),
    path("auth/me/", core_views.MeView.as_view(), name="auth-me"),
    path("analytics/annual/", contract_views.AnnualReportView.as_view(), name="analytics-annual"),
    path("", include(router.urls)),
]
