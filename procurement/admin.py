from django.contrib import admin

from .models import Contractor, ContractorMembership, District, Procurement


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
    list_display = ["name", "org_number", "contact_email", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "org_number"]
    inlines = [MembershipInline]


@admin.register(ContractorMembership)
class ContractorMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "contractor"]
    list_select_related = ["user", "contractor"]
    search_fields = ["user__username", "contractor__name"]
    autocomplete_fields = ["user", "contractor"]


@admin.register(Procurement)
class ProcurementAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "status", "officer", "awarded_on"]
    list_filter = ["status"]
    list_select_related = ["officer"]
    search_fields = ["reference", "title"]
    autocomplete_fields = ["officer"]
    date_hierarchy = "awarded_on"
