from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.accounts import user_invite

from .models import (
    Contractor,
    ContractorMembership,
    District,
    LabourMarketUnit,
    LabourMarketUnitMembership,
    Procurement,
)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality"]
    search_fields = ["name", "municipality"]


class MembershipInline(admin.TabularInline):
    model = ContractorMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    list_display = ["name", "org_number", "contact_email", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "org_number"]
    inlines = [MembershipInline]


class MatcherMembershipInline(admin.TabularInline):
    model = LabourMarketUnitMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(LabourMarketUnit)
class LabourMarketUnitAdmin(admin.ModelAdmin):
    """The matching organisations; their member users are matchers (one unit each)."""

    list_display = ["name", "org_number", "contact_email"]
    search_fields = ["name", "org_number"]
    inlines = [MatcherMembershipInline]


@admin.register(LabourMarketUnitMembership)
class LabourMarketUnitMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit"]
    list_select_related = ["user", "unit"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["user", "unit"]


@admin.register(ContractorMembership)
class ContractorMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "contractor"]
    list_select_related = ["user", "contractor"]
    search_fields = ["user__username", "contractor__name"]
    autocomplete_fields = ["user", "contractor"]
    actions = ["invite"]

    @admin.action(description=_("Send an invitation e-mail (choose a password)"))
    def invite(self, request, queryset) -> None:
        sent = 0
        for membership in queryset.select_related("user", "contractor"):
            try:
                user_invite(user=membership.user, contractor_name=membership.contractor.name)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), level=messages.ERROR)
            else:
                sent += 1
        self.message_user(
            request,
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent)
            % {"count": sent},
        )


@admin.register(Procurement)
class ProcurementAdmin(admin.ModelAdmin):
    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    list_display = ["reference", "title", "status", "officer", "awarded_on"]
    list_filter = ["status"]
    list_select_related = ["officer"]
    search_fields = ["reference", "title"]
    autocomplete_fields = ["officer"]
    date_hierarchy = "awarded_on"
