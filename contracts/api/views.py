from __future__ import annotations

from dataclasses import asdict

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from contracts import annual_output, exports, ocds, selectors, services
from contracts.annual import annual_report
from core import audit
from core.api.permissions import OfficerWritesOthersRead, StaffOnly
from core.api.serializers import attach_related_pks

from .serializers import (
    AlertCloseSerializer,
    AlertSerializer,
    AnnualQuerySerializer,
    AnnualReportSerializer,
    AsOfSerializer,
    ClauseSerializer,
    ComplianceListQuerySerializer,
    ContractSerializer,
    EvaluationSerializer,
    RowExportQuerySerializer,
    ScheduleEntrySerializer,
    TargetGroupSerializer,
)

AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description="Evaluation date (default today)")


def _as_of(request):
    query = AsOfSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("as_of") or timezone.localdate()


class TargetGroupViewSet(viewsets.ReadOnlyModelViewSet):
    """Target groups (reference data), identified by ``code``."""

    serializer_class = TargetGroupSerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        from contracts.models import TargetGroup

        return TargetGroup.objects.order_by("code")


class ContractViewSet(viewsets.ModelViewSet):
    """Contracts. Officers write; contractor users see their own."""

    serializer_class = ContractSerializer
    permission_classes = [OfficerWritesOthersRead]
    filterset_fields = ["contractor", "district", "status", "procurement", "reporting_frequency"]
    ordering_fields = ["reference", "start_date", "end_date", "value_sek", "title"]

    def get_queryset(self):
        contracts = selectors.contract_list(user=self.request.user)
        if self.action == "list":
            # The serializer reads only ids: no joins, and the page's managers in one query
            # (``paginate_queryset``) rather than a prefetch that builds a manager per contract.
            contracts = contracts.select_related(None).prefetch_related(None)
        return contracts

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            attach_related_pks(page, "managers")
        return page

    @extend_schema(parameters=[AS_OF], responses=ScheduleEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def schedule(self, request, pk=None):
        """Every reporting period with its due date and state (docs/RULES.md §3)."""
        as_of = _as_of(request)
        entries = selectors.contract_schedule(self.get_object(), as_of=as_of)
        return Response(ScheduleEntrySerializer([asdict(e) for e in entries], many=True).data)

    @extend_schema(parameters=[AS_OF], responses=EvaluationSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def compliance(self, request, pk=None):
        """Where each clause of the contract stands (docs/RULES.md §1–§2)."""
        as_of = _as_of(request)
        contract = self.get_object()
        items = selectors.evaluate_clauses(
            as_of=as_of, contracts=selectors.Contract.objects.filter(pk=contract.pk)
        )
        rows = [EvaluationSerializer.row(item) for item in items]
        return Response(EvaluationSerializer(rows, many=True).data)


class ClauseViewSet(viewsets.ModelViewSet):
    """Social clauses with their milestones (written as one complete list)."""

    serializer_class = ClauseSerializer
    permission_classes = [OfficerWritesOthersRead]
    filterset_fields = ["contract", "kind", "metric"]
    ordering_fields = ["id", "target", "due_date"]

    def get_queryset(self):
        return selectors.clause_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.save_with(services.clause_save)

    def perform_update(self, serializer):
        serializer.save_with(services.clause_save, instance=serializer.instance)


class FileExportMixin:
    """For views that also answer as CSV or XLSX files (:mod:`contracts.exports`).

    The file renderers only take part in content negotiation (so that ``?format=csv`` is not a
    404); the view streams the file itself. Every ``Response`` such a view still returns (an
    error: 400, 401, 404) is rendered as JSON, whatever format was asked for.
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and isinstance(
            getattr(response, "accepted_renderer", None), exports.FILE_RENDERERS
        ):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


def _file_responses(json_response=None) -> dict:
    responses = {
        (200, exports.CSV_MEDIA_TYPE): OpenApiResponse(
            OpenApiTypes.STR,
            description="JSON, or the file as an attachment (CSV: UTF-8 with BOM, streamed).",
        ),
        (200, exports.XLSX_MEDIA_TYPE): OpenApiResponse(
            OpenApiTypes.BINARY, description="Excel workbook, as an attachment."
        ),
    }
    if json_response is not None:
        responses = {(200, "application/json"): json_response, **responses}
    return responses


class ComplianceViewSet(FileExportMixin, viewsets.GenericViewSet):
    """Every clause the caller may see, evaluated as of ``as_of``, filterable.

    ``?format=csv`` or ``?format=xlsx`` gives the same figures as a file (all of them, not a
    page); ``rows/`` gives the placement-report rows as a file.
    """

    serializer_class = EvaluationSerializer
    filter_backends: list = []
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, *exports.FILE_RENDERERS]

    @extend_schema(
        parameters=[ComplianceListQuerySerializer],
        responses=_file_responses(EvaluationSerializer(many=True)),
    )
    def list(self, request):
        """Clause evaluations as JSON (paginated), or every one of them as a CSV or XLSX file."""
        query = ComplianceListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        as_of = params.get("as_of") or timezone.localdate()
        contracts = selectors.contract_list(user=request.user)
        for name in ("contractor", "district"):
            if name in params:
                contracts = contracts.filter(**{f"{name}_id": params[name]})
        if "contract" in params:
            contracts = contracts.filter(pk=params["contract"])
        items = selectors.evaluate_clauses(as_of=as_of, contracts=contracts)
        rows = [
            EvaluationSerializer.row(item)
            for item in items
            if params.get("status", item.evaluation.status) == item.evaluation.status
            and params.get("metric", item.evaluation.metric) == item.evaluation.metric
        ]
        export_format = request.accepted_renderer.format
        if export_format in exports.FILE_FORMATS:
            return exports.file_response(
                export_format,
                exports.COMPLIANCE_COLUMNS,
                exports.compliance_values(rows, items),
                basename=f"compliance-{as_of.isoformat()}",
                title=_("Social clause compliance"),
                sep=params["sep"],
            )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(EvaluationSerializer(page, many=True).data)

    @extend_schema(parameters=[RowExportQuerySerializer], responses=_file_responses())
    @action(
        detail=False,
        methods=["get"],
        url_path="rows",
        renderer_classes=[*exports.FILE_RENDERERS],
        pagination_class=None,
    )
    def rows(self, request):
        """The rows of the placement reports the caller may see, as a CSV (default) or XLSX file.

        One line per row: report, contract reference, period, report status, participant
        reference, target group code, dates, hours, role and notes.
        """
        query = RowExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        sep = params.pop("sep")
        rows = exports.report_rows(user=request.user, **params)
        audit.read_logged(
            user=request.user,
            what=audit.What.EXPORT,
            object_ids=list(rows.values_list("pk", flat=True)[:200]),
            count=rows.count(),
            detail=request.GET.urlencode()[:200],
        )
        return exports.file_response(
            request.accepted_renderer.format,
            [column for column, _path in exports.ROW_COLUMNS],
            exports.report_row_values(rows),
            basename=f"report-rows-{timezone.localdate().isoformat()}",
            title=capfirst(_("placement rows")),
            sep=sep,
        )


class OCDSContractViewSet(viewsets.GenericViewSet):
    """A contract as an OCDS 1.1 release package (:mod:`contracts.ocds`)."""

    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return selectors.contract_list(user=self.request.user)

    @extend_schema(
        parameters=[AS_OF],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=(
                    "An OCDS 1.1 release package with one release for the contract, using the "
                    "Sustainability and Metrics extensions: each clause's target as "
                    "contracts[].agreedMetrics, what was reported per ended reporting period as "
                    "contracts[].implementation.metrics[].observations."
                ),
            )
        },
    )
    def retrieve(self, request, pk=None):
        """The contract's OCDS release package, with delivery up to ``as_of`` (default today)."""
        as_of = _as_of(request)
        contract = self.get_object()
        package = ocds.release_package(
            contract,
            ocds.contract_figures(contract, as_of=as_of),
            uri=request.build_absolute_uri(),
            published=timezone.now().replace(microsecond=0),
        )
        return Response(package)


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts (docs/RULES.md §4). Managers and officers acknowledge them; officers close a
    ``clause_breached`` alert, with a comment."""

    serializer_class = AlertSerializer
    filterset_fields = ["kind", "state", "contract", "clause"]
    ordering_fields = ["created_at", "kind", "state"]

    def get_queryset(self):
        alerts = selectors.alert_list(user=self.request.user)
        if self.action == "list":
            alerts = alerts.select_related(None)  # the serializer reads only ids
        return alerts

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Record that the caller has seen the alert."""
        try:
            alert = services.alert_acknowledge(alert=self.get_object(), user=request.user)
        except services.AlertStateError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(AlertSerializer(alert).data)

    @extend_schema(
        request=AlertCloseSerializer,
        responses={
            200: AlertSerializer,
            409: OpenApiResponse(
                description="The alert is not a clause breached alert, or is already closed."
            ),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[OfficerWritesOthersRead])
    def close(self, request, pk=None):
        """Close a ``clause_breached`` alert (officers), saying why in ``comment`` (required).

        The alert becomes ``resolved`` and records who closed it, when (``resolved_at``) and the
        comment. Other kinds of alert resolve themselves when their condition clears: 409.
        """
        alert = self.get_object()
        body = AlertCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            alert = services.alert_close(
                alert=alert, user=request.user, comment=body.validated_data["comment"]
            )
        except services.AlertStateError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(AlertSerializer(alert).data)


class AnnualReportView(APIView):
    """The annual integration report of a year (issue 7), for officers and managers.

    Every table of the report: year over year, delivered against expected, clause status at
    year end, per district, target group (with foreign-born women) and contractor, reports on
    time, and the benchmarks per MSEK. The dashboard offers the same as a page, XLSX and PDF.
    """

    permission_classes = [StaffOnly]

    @extend_schema(parameters=[AnnualQuerySerializer], responses=AnnualReportSerializer)
    def get(self, request):
        query = AnnualQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = annual_report(year=query.validated_data["year"])
        body = annual_output.as_json(report, only=query.validated_data.get("tables"))
        return Response(AnnualReportSerializer(body).data)
