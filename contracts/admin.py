from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .choices import AlertState
from .models import (
    Alert,
    AlertNotification,
    ClauseMilestone,
    ClauseSnapshot,
    Contract,
    SocialClause,
    TargetGroup,
    milestone_errors,
)
from .services import alert_acknowledge


@admin.register(TargetGroup)
class TargetGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name_sv", "name_en"]
    search_fields = ["code", "name_sv", "name_en"]


class SocialClauseInline(admin.StackedInline):
    model = SocialClause
    extra = 0
    show_change_link = True
    filter_horizontal = ["target_groups"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "contractor",
        "district",
        "status",
        "start_date",
        "end_date",
        "value_sek",
    ]
    list_filter = ["status", "district", "contractor", "reporting_frequency"]
    list_select_related = ["contractor", "district"]
    search_fields = ["reference", "title", "contractor__name", "procurement__reference"]
    autocomplete_fields = ["procurement", "contractor", "district", "managers"]
    date_hierarchy = "start_date"
    inlines = [SocialClauseInline]


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
class SocialClauseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "contract", "metric", "target", "start_date", "due_date"]
    list_filter = ["metric", "contract__district", "contract__contractor"]
    list_select_related = ["contract"]
    search_fields = ["contract__reference", "contract__title", "text"]
    autocomplete_fields = ["contract"]
    filter_horizontal = ["target_groups"]
    inlines = [MilestoneInline]


@admin.register(ClauseMilestone)
class ClauseMilestoneAdmin(admin.ModelAdmin):
    list_display = ["clause", "date", "cumulative_target"]
    list_select_related = ["clause__contract"]
    autocomplete_fields = ["clause"]


@admin.register(ClauseSnapshot)
class ClauseSnapshotAdmin(admin.ModelAdmin):
    list_display = ["clause", "date", "expected", "reported", "verified", "status"]
    list_filter = ["status", "date"]
    list_select_related = ["clause__contract"]
    search_fields = ["clause__contract__reference"]
    date_hierarchy = "date"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
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
class AlertAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "contract",
        "clause",
        "period_start",
        "state",
        "created_at",
        "acknowledged_by",
    ]
    list_filter = ["state", "kind", "contract__district", "contract__contractor"]
    list_select_related = ["contract", "clause__contract", "acknowledged_by"]
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
    ]
    inlines = [AlertNotificationInline]
    actions = ["acknowledge"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Acknowledge the selected alerts"))
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
    list_display = ["alert", "recipient", "created_at", "sent_at"]
    list_select_related = ["alert__contract", "recipient"]
    list_filter = ["sent_at"]
    readonly_fields = ["alert", "recipient", "created_at", "claimed_by", "claimed_at", "sent_at"]

    def has_add_permission(self, request) -> bool:
        return False
