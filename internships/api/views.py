from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.roles import contractor_id_of, is_officer
from internships import selectors, services

from .serializers import ReportSerializer, ReviewSerializer


class ReportPermission(permissions.BasePermission):
    """Contractor users (and superusers) write reports; officers review them (DESIGN.md §8)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if view.action in ("approve", "reject"):
            return is_officer(user)
        return user.is_superuser or contractor_id_of(user) is not None


class ReportViewSet(viewsets.ModelViewSet):
    """Placement reports with their rows; ``submit``, ``approve`` and ``reject`` are actions."""

    serializer_class = ReportSerializer
    permission_classes = [ReportPermission]
    filterset_fields = ["contract", "status", "period_start"]
    ordering_fields = ["period_start", "created_at", "status"]

    def get_queryset(self):
        return selectors.report_list(user=self.request.user)

    def _save(self, serializer, report):
        data = dict(serializer.validated_data)
        rows = data.pop("rows", None)
        for name, value in data.items():
            setattr(report, name, value)
        serializer.instance = services.report_save(report=report, rows=rows, user=self.request.user)

    def perform_create(self, serializer):
        self._save(serializer, services.PlacementReport())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        with transaction.atomic():
            services.report_delete(report=instance, user=self.request.user)

    def _respond(self, report):
        return Response(
            ReportSerializer(selectors.report_list(user=self.request.user).get(pk=report.pk)).data
        )

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send a draft (or a corrected rejected report) for review."""
        return self._respond(services.report_submit(report=self.get_object(), user=request.user))

    @extend_schema(request=ReviewSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a submitted report (officers)."""
        review = ReviewSerializer(data=request.data)
        review.is_valid(raise_exception=True)
        report = services.report_approve(
            report=self.get_object(),
            user=request.user,
            comment=review.validated_data.get("comment", ""),
        )
        return self._respond(report)

    @extend_schema(request=ReviewSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a submitted report with a comment (officers)."""
        review = ReviewSerializer(data=request.data)
        review.is_valid(raise_exception=True)
        report = services.report_reject(
            report=self.get_object(),
            user=request.user,
            comment=review.validated_data.get("comment", ""),
        )
        return self._respond(report)
