from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_filters import CONTRACTOR_TITLE, name_search_filter
from internships.templatetags.ui import amount, forecast_text, status_badge

from .admin_forms import CLAUSE_FIELDS, SocialClauseForm
from .benchmarks import bands_all, contract_benchmark, per_msek_text
from .choices import AlertState, ClauseStatus, Metric
from .models import (
    Alert,
    AlertNotification,
    BenchmarkBand,
    ClauseMilestone,
    ClauseSnapshot,
    ComplianceRun,
    Contract,
    SocialClause,
    TargetGroup,
    milestone_errors,
)
from .selectors import evaluate_clauses, with_latest_snapshot
from .services import AlertStateError, alert_acknowledge, alert_close
from .templatetags.alerts import closable_by


class AlertCloseForm(forms.Form):
    """Why an officer closes a clause breached alert."""

    comment = forms.CharField(
        label=_("Why is the alert closed?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


BADGES = {"all": ["core/badges.css"]}


def clause_badge(clause: SocialClause) -> str:
    """The badge of a clause from its latest snapshot: status in words, expected vs reported."""
    if not getattr(clause, "latest_status", None):
        return _("not evaluated yet")
    if clause.latest_status == ClauseStatus.DIALOGUE:
        # A dialogue clause has no target, so nothing is expected of it: only what came.
        return format_html(
            "{} {}",
            status_badge(clause.latest_status),
            _("%(reported)s reported") % {"reported": amount(clause.latest_reported)},
        )
    return format_html(
        "{} {}",
        status_badge(clause.latest_status),
        _("%(reported)s reported of %(expected)s expected")
        % {"reported": amount(clause.latest_reported), "expected": amount(clause.latest_expected)},
    )


class ComplianceStatusFilter(admin.SimpleListFilter):
    """Clauses (or contracts with a clause) whose latest snapshot has the chosen status."""

    title = _("compliance status")
    parameter_name = "compliance"

    def lookups(self, request, model_admin):
        return ClauseStatus.choices

    def queryset(self, request, queryset):
        if self.value() not in ClauseStatus.values:
            return queryset
        clauses = with_latest_snapshot(SocialClause.objects.all()).filter(
            latest_status=self.value()
        )
        if queryset.model is SocialClause:
            return queryset.filter(pk__in=clauses.values("pk"))
        return queryset.filter(pk__in=clauses.values("contract_id"))


@admin.register(BenchmarkBand)
class BenchmarkBandAdmin(SimpleHistoryAdmin):
    """Benchmark bands per contract value: a realistic range per MSEK (issue 7)."""

    list_display = [
        "__str__",
        "placements_low",
        "placements_high",
        "weeks_low",
        "weeks_high",
        "note",
    ]
    ordering = ["from_msek"]


@admin.register(TargetGroup)
class TargetGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name_sv", "name_en"]
    search_fields = ["code", "name_sv", "name_en"]


class SocialClauseInline(admin.StackedInline):
    """The contract's clauses, each with where it stands today and its milestones. Milestones
    are edited on the clause's own page (the admin cannot nest inlines)."""

    model = SocialClause
    form = SocialClauseForm
    fields = [*CLAUSE_FIELDS, "compliance", "milestone_list"]
    extra = 0
    show_change_link = True
    filter_horizontal = ["target_groups"]
    readonly_fields = ["compliance", "milestone_list"]
    evaluations: dict = {}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("milestones", "target_groups")

    @admin.display(description=_("compliance today"))
    def compliance(self, clause: SocialClause) -> str:
        evaluation = self.evaluations.get(clause.pk)
        if evaluation is None:
            return "–"
        if evaluation.status == ClauseStatus.DIALOGUE:
            return format_html(
                "{} {}",
                status_badge(evaluation.status),
                _("%(reported)s reported, %(verified)s approved; no target (dialogue)")
                % {
                    "reported": amount(evaluation.reported),
                    "verified": amount(evaluation.verified),
                },
            )
        return format_html(
            "{} {}<br>{}: {}",
            status_badge(evaluation.status),
            _("%(reported)s reported, %(verified)s approved, %(expected)s expected of %(target)s")
            % {
                "reported": amount(evaluation.reported),
                "verified": amount(evaluation.verified),
                "expected": amount(evaluation.expected),
                "target": amount(evaluation.target),
            },
            _("Forecast"),
            forecast_text(evaluation),
        )

    @admin.display(description=_("milestones"))
    def milestone_list(self, clause: SocialClause) -> str:
        if not clause.pk:
            return "–"
        items = format_html_join(
            ", ",
            "{}: {}",
            (
                (date_format(m.date, "SHORT_DATE_FORMAT"), amount(m.cumulative_target))
                for m in sorted(clause.milestones.all(), key=lambda m: m.date)
            ),
        )
        link = reverse("admin:contracts_socialclause_change", args=[clause.pk])
        return format_html(
            '{} <a href="{}#milestones-group">{}</a>', items or "–", link, _("Edit milestones")
        )


def _evaluations_today(contract: Contract) -> list:
    """One live evaluation of the contract's clauses for the whole change page (4 queries),
    kept on the instance that the inlines and the read-only fields share."""
    if not hasattr(contract, "_evaluations_today"):
        contract._evaluations_today = evaluate_clauses(
            as_of=timezone.localdate(), contracts=Contract.objects.filter(pk=contract.pk)
        )
    return contract._evaluations_today


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    # Compliance comes early: the last columns of a wide list scroll out of sight at 1366 px.
    list_display = [
        "reference",
        "title",
        "compliance",
        "contractor",
        "district",
        "status",
    ]
    list_filter = [
        "status",
        ComplianceStatusFilter,
        "district",
        name_search_filter("contractor__name", CONTRACTOR_TITLE),
        "reporting_frequency",
        "matcher",
    ]
    list_select_related = ["contractor", "district"]
    search_fields = ["reference", "title", "contractor__name", "procurement__reference"]
    autocomplete_fields = ["procurement", "contractor", "district", "managers", "matcher"]
    date_hierarchy = "start_date"
    inlines = [SocialClauseInline]
    readonly_fields = ["benchmark"]

    class Media:
        css = BADGES

    def get_queryset(self, request):
        clauses = with_latest_snapshot(SocialClause.objects.order_by("id"))
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("clauses", queryset=clauses, to_attr="clause_states"))
        )

    @admin.display(description=_("compliance (latest snapshot)"))
    def compliance(self, contract: Contract) -> str:
        clauses = getattr(contract, "clause_states", [])
        if not clauses:
            return "–"
        return format_html_join(
            mark_safe("<br>"),
            "{}: {}",
            ((clause.get_metric_display(), clause_badge(clause)) for clause in clauses),
        )

    @admin.display(description=_("benchmark per MSEK"))
    def benchmark(self, contract: Contract) -> str:
        """Targets and delivery per MSEK against the band for the contract's value, and the
        targets that band suggests for it (issue 7)."""
        if not contract.pk:
            return _("Save the contract to see its benchmark.")
        result = contract_benchmark(
            contract_id=contract.pk,
            value_sek=contract.value_sek,
            evaluations=_evaluations_today(contract),
            bands=bands_all(),
        )
        if result.band is None:
            return _("No benchmark band covers this contract's value.")
        lines = [
            (
                _("%(metric)s: a realistic target is %(low)s–%(high)s (%(band)s)")
                % {
                    "metric": Metric(item.metric).label.capitalize(),
                    "low": amount(item.band_low),
                    "high": amount(item.band_high),
                    "band": result.band,
                },
                ""
                if item.target is None
                else _(
                    "target %(target)s = %(rate)s per MSEK, %(verdict)s; "
                    "%(reported)s per MSEK reported so far, %(projected)s at the pace so far"
                )
                % {
                    "target": amount(item.target),
                    "rate": per_msek_text(item.target_per_msek),
                    "verdict": item.verdict_label,
                    "reported": per_msek_text(item.reported_per_msek),
                    "projected": per_msek_text(item.projected_per_msek),
                },
            )
            for item in result.metrics
        ]
        return format_html_join(mark_safe("<br>"), "{} {}", lines)

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is not None:
            evaluations = {item.clause.id: item.evaluation for item in _evaluations_today(obj)}
            for inline in inlines:
                if isinstance(inline, SocialClauseInline):
                    inline.evaluations = evaluations
        return inlines


class MilestoneFormSet(BaseInlineFormSet):
    """Checks the milestones together: the order rules need all of them at once."""

    def clean(self) -> None:
        super().clean()
        forms = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("date")
            and form.cleaned_data.get("cumulative_target") is not None
        ]
        forms.sort(key=lambda form: form.cleaned_data["date"])
        pairs = [(f.cleaned_data["date"], f.cleaned_data["cumulative_target"]) for f in forms]
        for index, field, message in milestone_errors(self.instance, pairs):
            forms[index].add_error(field, message)


class MilestoneInline(admin.TabularInline):
    model = ClauseMilestone
    formset = MilestoneFormSet
    extra = 0


@admin.register(SocialClause)
class SocialClauseAdmin(SimpleHistoryAdmin):
    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    # Compliance comes early: the last columns of a wide list scroll out of sight at 1366 px.
    list_display = [
        "__str__",
        "compliance",
        "contract",
        "kind",
        "metric",
        "target",
        "start_date",
        "due_date",
    ]
    list_filter = [
        ComplianceStatusFilter,
        "kind",
        "metric",
        "contract__district",
        name_search_filter("contract__contractor__name", CONTRACTOR_TITLE),
    ]
    list_select_related = ["contract"]
    search_fields = ["contract__reference", "contract__title", "text"]
    autocomplete_fields = ["contract"]
    filter_horizontal = ["target_groups"]
    inlines = [MilestoneInline]
    form = SocialClauseForm
    fields = ["contract", *CLAUSE_FIELDS]

    class Media:
        css = BADGES

    def get_queryset(self, request):
        return with_latest_snapshot(super().get_queryset(request))

    @admin.display(description=_("compliance (latest snapshot)"), ordering="latest_status")
    def compliance(self, clause: SocialClause) -> str:
        return clause_badge(clause)


@admin.register(ClauseMilestone)
class ClauseMilestoneAdmin(SimpleHistoryAdmin):
    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    list_display = ["clause", "date", "cumulative_target"]
    list_select_related = ["clause__contract"]
    # Newest first, by the primary key: the model's ordering sorts every row through joins.
    ordering = ["-id"]
    autocomplete_fields = ["clause"]


@admin.register(ClauseSnapshot)
class ClauseSnapshotAdmin(admin.ModelAdmin):
    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    list_display = ["clause", "date", "expected", "reported", "verified", "status"]
    list_filter = ["status", "date"]
    list_select_related = ["clause__contract"]
    search_fields = ["clause__contract__reference"]
    # Newest first, by the primary key: the model's ordering sorts every row through joins.
    ordering = ["-id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ComplianceRun)
class ComplianceRunAdmin(admin.ModelAdmin):
    """The day's compliance runs (docs/RULES.md §4.1), for operations: read-only; a run that
    ran out of attempts is started again with ``manage.py evaluate_compliance``."""

    list_display = [
        "as_of",
        "started_at",
        "finished_at",
        "attempts",
        "contracts_done",
        "clauses",
        "alerts_opened",
        "alerts_resolved",
    ]
    list_filter = ["finished_at"]
    date_hierarchy = "as_of"
    ordering = ["-as_of"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AlertNotificationInline(admin.TabularInline):
    model = AlertNotification
    extra = 0
    can_delete = False
    readonly_fields = ["recipient", "created_at", "sent_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(SimpleHistoryAdmin):
    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    list_display = [
        "kind",
        "contract",
        "clause",
        "period_start",
        "state",
        "created_at",
        "acknowledged_by",
    ]
    list_filter = [
        "state",
        "kind",
        "contract__district",
        name_search_filter("contract__contractor__name", CONTRACTOR_TITLE),
    ]
    list_select_related = ["contract", "clause__contract", "acknowledged_by"]
    # Newest first, by the primary key: the model's ordering sorts every row through joins.
    ordering = ["-id"]
    search_fields = ["contract__reference", "contract__title"]
    readonly_fields = [
        "kind",
        "contract",
        "clause",
        "period_start",
        "state",
        "created_at",
        "acknowledged_by",
        "acknowledged_at",
        "resolved_at",
        "closed_by",
        "close_comment",
    ]
    inlines = [AlertNotificationInline]
    actions = ["acknowledge"]
    change_form_template = "admin/contracts/alert/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False

    def get_urls(self):
        close = self.admin_site.admin_view(self.close_view)
        return [
            path("<int:alert_id>/close/", close, name="contracts_alert_close"),
            *super().get_urls(),
        ]

    def close_view(self, request, alert_id: int):
        """Close a clause breached alert with a comment, through ``services.alert_close``."""
        alert = get_object_or_404(Alert.objects.select_related("contract", "clause"), pk=alert_id)
        if not self.has_view_permission(request, alert):
            raise PermissionDenied
        form = AlertCloseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                alert_close(alert=alert, user=request.user, comment=form.cleaned_data["comment"])
            except ValidationError as error:
                for problems in error.message_dict.values():
                    form.add_error("comment", problems)
            except AlertStateError as error:
                self.message_user(request, str(error), level=messages.ERROR)
                return redirect("admin:contracts_alert_change", alert.pk)
            else:
                self.message_user(request, gettext("The alert is closed."))
                return redirect("admin:contracts_alert_change", alert.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Close alert: %(alert)s") % {"alert": alert},
            "opts": self.model._meta,
            "original": alert,
            "alert": alert,
            "form": form,
            "closable": closable_by(alert, request.user),
        }
        return TemplateResponse(request, "admin/contracts/alert/close.html", context)

    @admin.action(description=_("Acknowledge the selected alerts"), permissions=["view"])
    def acknowledge(self, request, queryset) -> None:
        done = 0
        for alert in queryset.filter(state=AlertState.OPEN):
            alert_acknowledge(alert=alert, user=request.user)
            done += 1
        self.message_user(
            request,
            ngettext("%(count)d alert acknowledged.", "%(count)d alerts acknowledged.", done)
            % {"count": done},
        )


@admin.register(AlertNotification)
class AlertNotificationAdmin(admin.ModelAdmin):
    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    list_display = ["alert", "recipient", "created_at", "sent_at"]
    list_select_related = ["alert__contract", "recipient"]
    # Newest first, by the primary key: the model's ordering sorts every row through joins.
    ordering = ["-id"]
    list_filter = ["sent_at"]
    readonly_fields = ["alert", "recipient", "created_at", "claimed_by", "claimed_at", "sent_at"]

    def has_add_permission(self, request) -> bool:
        return False
