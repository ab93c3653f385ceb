from django.contrib import admin

from .models import Heartbeat, Profile


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
