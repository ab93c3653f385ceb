from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import audit
from core.admin_filters import CONTRACTOR_TITLE, name_search_filter
from internships.templatetags.ui import report_badge

from . import services
from .choices import EDITABLE_STATUSES, ReportStatus
from .forms import ReviewForm
from .models import (
    REPORT_WORKFLOW_FIELDS,
    PlacementReport,
    PlacementRow,
    Referral,
    RowDates,
    row_errors,
)
from .selectors import report_effect, report_next_to_review, report_versions

#: A report's change page shows at most this many rows; "show all" (``?rows=all``) shows every
#: one. A report of a large contract has hundreds of rows, each an editable form.
ROW_LIMIT = 20
SHOW_ALL = "all"

#: The review page lists this many rows with their verdicts before "show all".
REVIEW_ROW_LIMIT = 50


def _shows_all_rows(request) -> bool:
    return request.GET.get("rows") == SHOW_ALL


class RowFormSet(BaseInlineFormSet):
    """Checks a report's rows together: overlaps are a rule about pairs of rows.

    Shows the first ``row_limit`` rows (``None``: all). The rows left out take part in the
    checks as they are stored, so a row typed here cannot overlap one that is not shown."""

    row_limit: int | None = None

    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            rows = super().get_queryset().order_by("participant_ref", "start_date", "id")
            self.row_total = rows.count() if self.instance.pk else 0
            self._queryset = rows[: self.row_limit] if self.row_limit is not None else rows
        return self._queryset

    @property
    def rows_cut(self) -> bool:
        self.get_queryset()
        return self.row_limit is not None and self.row_total > self.row_limit

    def clean(self) -> None:
        super().clean()
        if not (self.instance.period_start and self.instance.period_end):
            return
        forms = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.instance.start_date
            and form.instance.end_date
        ]
        rows = [RowDates.of(form.instance) for form in forms]
        if self.rows_cut:
            shown = [form.instance.pk for form in self.initial_forms]
            rows += [
                RowDates.of(row)
                for row in PlacementRow.objects.filter(report=self.instance).exclude(pk__in=shown)
            ]
        hidden_conflict = False
        for index, field, message in row_errors(self.instance, rows):
            if index >= len(forms):
                hidden_conflict = True
            elif field not in forms[index].errors:
                forms[index].add_error(field, message)
        if hidden_conflict:
            raise ValidationError(
                _(
                    "A row conflicts with a row that is not shown here. Show all rows to "
                    "see and correct it."
                )
            )


def _editable(report: PlacementReport | None) -> bool:
    return report is None or report.status in EDITABLE_STATUSES


class PlacementRowInline(admin.TabularInline):
    model = PlacementRow
    formset = RowFormSet
    extra = 0
    autocomplete_fields = ["target_group"]
    template = "admin/internships/placementreport/rows_inline.html"
    # The matcher's word is not the report's to edit (the review page shows it).
    exclude = ["verification", "verified_by", "verified_at", "verification_comment"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("target_group")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.row_limit = None if _shows_all_rows(request) else ROW_LIMIT
        return formset

    # A report sent for review (or decided) keeps its rows: a change goes through a correction.
    def has_add_permission(self, request, obj=None) -> bool:
        return _editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return _editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _editable(obj) and super().has_delete_permission(request, obj)


@admin.register(PlacementReport)
class PlacementReportAdmin(SimpleHistoryAdmin):
    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    list_display = [
        "contract",
        "period_start",
        "period_end",
        "status_badge",
        "submitted_at",
        "review",
    ]
    list_filter = [
        "status",
        "contract__district",
        name_search_filter("contract__contractor__name", CONTRACTOR_TITLE),
    ]
    list_select_related = ["contract"]
    search_fields = ["contract__reference", "contract__title"]
    autocomplete_fields = ["contract"]
    # Newest first, by the primary key: the model's ordering sorts every row through joins.
    ordering = ["-id"]
    readonly_fields = [*REPORT_WORKFLOW_FIELDS, "created_at", "updated_at"]
    inlines = [PlacementRowInline]
    actions = ["delete_drafts"]

    class Media:
        css = {"all": ["core/badges.css"]}

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, report: PlacementReport) -> str:
        return report_badge(report.status)

    @admin.display(description=_("review"))
    def review(self, report: PlacementReport) -> str:
        label = _("Review") if report.status == ReportStatus.SUBMITTED else _("Rows and effect")
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:internships_placementreport_review", args=[report.pk]),
            label,
        )

    def get_readonly_fields(self, request, obj=None):
        if _editable(obj):
            return self.readonly_fields
        return ["contract", "period_start", "period_end", *self.readonly_fields]

    def get_actions(self, request):
        # Django's bulk delete removes any report with a bare queryset delete: replaced by one
        # that deletes drafts only, each through the service.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != ReportStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj: PlacementReport) -> None:
        services.report_delete(report=obj, user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for report in queryset:
            services.report_delete(report=report, user=request.user)

    @admin.action(description=_("Delete the selected drafts"), permissions=["delete"])
    def delete_drafts(self, request, queryset) -> None:
        done = refused = 0
        for report in queryset.select_related("contract"):
            try:
                services.report_delete(report=report, user=request.user)
            except (services.TransitionError, PermissionDenied):
                refused += 1
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d draft deleted.", "%(count)d drafts deleted.", done)
            % {"count": done},
        )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d report was kept: only drafts can be deleted.",
                    "%(count)d reports were kept: only drafts can be deleted.",
                    refused,
                )
                % {"count": refused},
                level=messages.WARNING,
            )

    def get_urls(self):
        review = self.admin_site.admin_view(self.review_view)
        return [
            path("<int:report_id>/review/", review, name="internships_placementreport_review"),
            *super().get_urls(),
        ]

    def review_view(self, request, report_id: int):
        """The report's rows and what approving it changes for each clause; approve or reject
        (rejecting needs a comment), through the same services as the API."""
        report = get_object_or_404(
            PlacementReport.objects.select_related("contract", "submitted_by", "reviewed_by"),
            pk=report_id,
        )
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            comment = form.cleaned_data["comment"]
            try:
                if "reject" in request.POST:
                    services.report_reject(report=report, user=request.user, comment=comment)
                    self.message_user(request, gettext("The report was rejected."))
                else:
                    services.report_approve(report=report, user=request.user, comment=comment)
                    self.message_user(request, gettext("The report was approved."))
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error("comment" if field == "review_comment" else None, problems)
            except services.TransitionError as error:
                self.message_user(request, str(error), level=messages.ERROR)
            else:
                return redirect("admin:internships_placementreport_review", report_id=report.pk)
        clauses = {clause.pk: clause for clause in report.contract.clauses.all()}
        # The rows shown: the first REVIEW_ROW_LIMIT unless all are asked for.
        row_limit = None if _shows_all_rows(request) else REVIEW_ROW_LIMIT
        row_ids = list(report.rows.order_by("start_date", "id").values_list("pk", flat=True))
        row_ids = row_ids[:row_limit]
        audit.read_logged(
            user=request.user,
            what=audit.What.REVIEW,
            object_ids=row_ids,
            detail=str(report),
        )
        versions = report_versions(report)
        effects = [
            (clauses[effect.clause_id], effect)
            for effect in report_effect(report, as_of=timezone.localdate())
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Review report: %(report)s") % {"report": report},
            "opts": self.model._meta,
            "original": report,
            "report": report,
            "effects": effects,
            "versions": versions if len(versions) > 1 else [],
            "version_url": "admin:internships_placementreport_review",
            "form": form,
            "row_limit": row_limit,
            "can_review": report.status == ReportStatus.SUBMITTED
            and self.has_change_permission(request, report),
            # Once this one is decided, the officer goes on to the report waiting longest.
            "reviewed": report.status != ReportStatus.SUBMITTED,
            "next_report": report_next_to_review(after=report)
            if report.status != ReportStatus.SUBMITTED
            else None,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/internships/placementreport/review.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 0) == 200:
            # The rows shown (the inline's first ROW_LIMIT unless all are asked for).
            rows = PlacementRow.objects.filter(report_id=object_id).order_by(
                "participant_ref", "start_date", "id"
            )
            if not _shows_all_rows(request):
                rows = rows[:ROW_LIMIT]
            ids = list(rows.values_list("pk", flat=True))
            audit.read_logged(
                user=request.user,
                what=audit.What.REPORT_PAGE,
                object_ids=ids,
                detail=f"report {object_id}",
            )
        return response


@admin.register(Referral)
class ReferralAdmin(SimpleHistoryAdmin):
    """Candidates referred by matchers; the services set who answered and when."""

    list_display = ["participant_ref", "contract", "unit", "status", "proposed_start"]
    list_filter = ["status", "unit"]
    list_select_related = ["contract", "unit"]
    search_fields = ["participant_ref", "contract__reference"]
    autocomplete_fields = ["contract", "target_group", "unit"]
    readonly_fields = ["referred_by", "decided_by", "decided_at", "row", "created_at"]


@admin.register(PlacementRow)
class PlacementRowAdmin(SimpleHistoryAdmin):
    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    list_display = ["participant_ref", "report", "target_group", "start_date", "end_date", "hours"]
    list_filter = ["target_group", "verification"]
    list_select_related = ["report__contract", "target_group"]
    # Newest first, by the primary key: the model's ordering sorts every row through joins.
    ordering = ["-id"]
    search_fields = ["participant_ref", "report__contract__reference"]
    autocomplete_fields = ["report", "target_group"]
    # The matcher's word on a row is written only by its services (confirm, dispute).
    readonly_fields = ["verification", "verified_by", "verified_at", "verification_comment"]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            audit.read_logged(
                user=request.user,
                what=audit.What.ROW_LIST,
                object_ids=[row.pk for row in changelist.result_list],
                detail=request.GET.urlencode()[:200],
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            audit.read_logged(user=request.user, what=audit.What.ROW, object_ids=[int(object_id)])
        return super().change_view(request, object_id, form_url, extra_context)
