from django.contrib import admin

from .models import Heartbeat, Profile, ReadLog


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_seen"]
    readonly_fields = ["name", "last_seen"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    list_filter = ["language"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


@admin.register(ReadLog)
class ReadLogAdmin(admin.ModelAdmin):
    """Who read participant-level rows, when (read-only)."""

    list_display = ["at", "user", "what", "count", "detail"]
    list_filter = ["what"]
    search_fields = ["user__username", "detail", "object_ids"]
    date_hierarchy = "at"
    readonly_fields = ["at", "user", "what", "count", "object_ids", "detail"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
