from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core import audit
from core.api.throttling import ImportRateThrottle, WriteRateThrottle
from core.roles import is_officer, writes_reports
from internships import importing, selectors, services

from .serializers import (
    CorrectionSerializer,
    ImportErrorsSerializer,
    ImportFormSerializer,
    RejectionSerializer,
    ReportSerializer,
    ReviewSerializer,
)


class ReportPermission(permissions.BasePermission):
    """Contractor users (and superusers) write reports; officers review them (docs/RULES.md §6)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if view.action in ("approve", "reject"):
            return is_officer(user)
        return writes_reports(user)


class ReportViewSet(viewsets.ModelViewSet):
    """Placement reports with their rows; ``submit``, ``approve`` and ``reject`` are actions;
    ``import`` creates a draft from a CSV or XLSX file (``import-template`` gives a template)."""

    serializer_class = ReportSerializer
    permission_classes = [ReportPermission]
    filterset_fields = ["contract", "status", "period_start"]
    ordering_fields = ["period_start", "created_at", "status"]

    def get_queryset(self):
        return selectors.report_list(user=self.request.user)

    def _log_rows(self, reports, detail: str) -> None:
        audit.read_logged(
            user=self.request.user,
            what=audit.What.API,
            object_ids=[row["id"] for report in reports for row in report.get("rows", [])],
            detail=detail,
        )

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self._log_rows([response.data], f"report {kwargs.get('pk')}")
        return response

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        self._log_rows(response.data.get("results", []), request.GET.urlencode()[:200])
        return response

    def _save(self, serializer, report):
        data = dict(serializer.validated_data)
        rows = data.pop("rows", None)
        for name, value in data.items():
            setattr(report, name, value)
        report = services.report_save(report=report, rows=rows, user=self.request.user)
        # The answer shows the rows with their target groups: one query, not one per row.
        prefetch_related_objects([report], selectors.report_rows_prefetch())
        serializer.instance = report

    def perform_create(self, serializer):
        self._save(serializer, services.PlacementReport())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.report_delete(report=instance, user=self.request.user)

    def _respond(self, report, status_code: int = status.HTTP_200_OK):
        return Response(
            ReportSerializer(selectors.report_list(user=self.request.user).get(pk=report.pk)).data,
            status=status_code,
        )

    def perform_content_negotiation(self, request, force=False):
        if self.action == "import_template":
            # Here "?format=" names the template's file type, not a renderer (DRF would answer
            # 404 for "csv"): the view builds the file itself, and any error is JSON.
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        request={"multipart/form-data": ImportFormSerializer},
        responses={
            201: ReportSerializer,
            400: OpenApiResponse(
                ImportErrorsSerializer,
                description="Nothing was saved. Every problem found, as (row, column, message).",
            ),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
        throttle_classes=[WriteRateThrottle, ImportRateThrottle],
    )
    def import_file(self, request, format=None):
        """Create a draft report from a CSV or XLSX file, all or nothing (contractors).

        Form fields: ``file``, ``contract``, ``period_start``, ``period_end``. Columns:
        ``participant_ref`` or ``personnummer``, ``target_group`` (code or name),
        ``start_date``, ``end_date``, ``hours``, optional ``role``, ``notes``; or the Swedish
        headers ``deltagare``, ``personnummer``, ``målgrupp``, ``startdatum``, ``slutdatum``,
        ``timmar``, ``roll``, ``anteckning``. ``GET import-template/`` gives a template.

        201: the new draft report, as ``GET reports/{id}/`` shows it.

        400: nothing was saved; the body is always
        ``{"errors": [{"row": 3, "column": "timmar", "message": "…"}, …]}``, listing every
        problem found:

        * ``row`` is the row number the user sees in the spreadsheet (the header is row 1, so the
          first data row is 2); ``null`` for a problem of the file or the form as a whole;
        * ``column`` is the column's header as written in the file; for a problem of the form
          it is the form field (``file``, ``contract``, ``period_start``, ``period_end``); for a
          missing column, its expected header; ``null`` when no single column is at fault;
        * ``message`` is in the caller's language and never repeats a personnummer.

        File-level problems (``row`` null): no or an empty file, unknown file type, unreadable
        text, too large (``IMPORT_MAX_BYTES``), too many rows (``IMPORT_MAX_ROWS``), missing,
        unknown or repeated columns; a contract the caller may not see ("does not exist"), or a
        period that is not one of the contract's or already has a report.
        """
        try:
            report = importing.import_report(data=request.data, user=request.user)
        except importing.ImportRefused as refused:
            return Response(refused.as_data(), status=status.HTTP_400_BAD_REQUEST)
        return self._respond(report, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=[*importing.TEMPLATE_FORMATS],
                description="File type (default csv).",
            ),
            OpenApiParameter(
                "lang",
                OpenApiTypes.STR,
                enum=[*importing.TEMPLATE_LANGUAGES],
                description="Header language (default: the request's language; Swedish).",
            ),
        ],
        responses={
            (200, importing.CSV_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The template as an attachment (CSV: UTF-8 with BOM).",
            ),
            (200, importing.XLSX_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The template as an attachment (CSV: UTF-8 with BOM).",
            ),
            400: OpenApiResponse(ImportErrorsSerializer, description="Unknown format or lang."),
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="import-template",
        url_name="import-template",
        pagination_class=None,
        filter_backends=[],
    )
    def import_template(self, request, format=None):
        """A template for ``import/``: the column headers and one example row to replace.

        Swedish headers unless ``?lang=en`` or the request's language is English. CSV in
        Swedish is semicolon-separated with a decimal comma; in English comma-separated.
        """
        # "?format=xlsx", or the URL's suffix ("import-template.xlsx").
        file_format = request.query_params.get("format") or self.format_kwarg or "csv"
        language = request.query_params.get("lang") or (
            "en" if (translation.get_language() or "sv").startswith("en") else "sv"
        )
        problems = []
        if file_format not in importing.TEMPLATE_FORMATS:
            problems.append({"row": None, "column": "format", "message": _("Choose csv or xlsx.")})
        if language not in importing.TEMPLATE_LANGUAGES:
            problems.append({"row": None, "column": "lang", "message": _("Choose sv or en.")})
        if problems:
            return Response({"errors": problems}, status=status.HTTP_400_BAD_REQUEST)
        template = importing.import_template(file_format, language)
        response = HttpResponse(template.content, content_type=template.media_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=template.filename
        )
        return response

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None, format=None):
        """Send a draft (or a corrected rejected report) for review."""
        return self._respond(services.report_submit(report=self.get_object(), user=request.user))

    @extend_schema(request=CorrectionSerializer, responses={201: ReportSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None, format=None):
        """Start a correction of an approved report (contractors): a new draft version of the
        period with a copy of the rows and the ``reason``. Edit its rows, then ``submit`` it; once
        an officer approves it, it replaces the approved version (which is kept, "superseded")."""
        body = CorrectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        correction = services.report_correct(
            report=self.get_object(), user=request.user, reason=body.validated_data["reason"]
        )
        return self._respond(correction, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, format=None):
        """Approve a submitted report (officers)."""
        review = ReviewSerializer(data=request.data)
        review.is_valid(raise_exception=True)
        report = services.report_approve(
            report=self.get_object(),
            user=request.user,
            comment=review.validated_data.get("comment", ""),
        )
        return self._respond(report)

    @extend_schema(request=RejectionSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None, format=None):
        """Reject a submitted report with a comment (officers)."""
        review = ReviewSerializer(data=request.data)
        review.is_valid(raise_exception=True)
        report = services.report_reject(
            report=self.get_object(),
            user=request.user,
            comment=review.validated_data.get("comment", ""),
        )
        return self._respond(report)
