from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from contracts.admin_views import work_queue_view
from core import mfa
from core import views as core_views

admin.site.site_header = _("Social clause compliance")
admin.site.site_title = _("Social clauses")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz/", core_views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/mfa/setup/", mfa.setup, name="mfa-setup"),
    path("accounts/mfa/verify/", mfa.verify, name="mfa-verify"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("portal/referrals/", include("matching.portal_urls")),
    path("portal/", include("internships.urls")),
    path("matchning/", include("matching.urls")),
    path("dashboard/", include("contracts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/work-queue/", admin.site.admin_view(work_queue_view), name="work-queue"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]

handler404 = "core.views.not_found"
