from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from .models import PlacementReport, PlacementRow, RowDates, row_errors


class RowFormSet(BaseInlineFormSet):
    """Checks a report's rows together: overlaps are a rule about pairs of rows."""

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
        for index, field, message in row_errors(self.instance, rows):
            if field not in forms[index].errors:
                forms[index].add_error(field, message)


class PlacementRowInline(admin.TabularInline):
    model = PlacementRow
    formset = RowFormSet
    extra = 0
    autocomplete_fields = ["target_group"]


@admin.register(PlacementReport)
class PlacementReportAdmin(admin.ModelAdmin):
    list_display = ["contract", "period_start", "period_end", "status", "submitted_at"]
    list_filter = ["status", "contract__district", "contract__contractor"]
    list_select_related = ["contract"]
    search_fields = ["contract__reference", "contract__title"]
    autocomplete_fields = ["contract"]
    date_hierarchy = "period_start"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PlacementRowInline]


@admin.register(PlacementRow)
class PlacementRowAdmin(admin.ModelAdmin):
    list_display = ["participant_ref", "report", "target_group", "start_date", "end_date", "hours"]
    list_filter = ["target_group"]
    list_select_related = ["report__contract", "target_group"]
    search_fields = ["participant_ref", "report__contract__reference"]
    autocomplete_fields = ["report", "target_group"]
