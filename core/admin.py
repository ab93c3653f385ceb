from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.contrib.auth.models import User
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import Heartbeat, Profile, ReadLog


class PasswordChangeForm(AdminPasswordChangeForm):
    """Django's form with its help text translated when shown: Django joins the lazy text to an
    English warning when the class is made, so the page showed the language of that moment."""

    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


admin.site.unregister(User)


@admin.register(User)
class TranslatedUserAdmin(UserAdmin):
    """Django's user admin, with the password page in the reader's language."""

    change_password_form = PasswordChangeForm


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

    # Large tables: one count of the filtered rows (not two), 50 rows a page (each costs Python).
    show_full_result_count = False
    list_per_page = 50
    list_display = ["at", "user", "what", "count", "detail"]
    # A date filter, not a date hierarchy: the hierarchy reads every row's year on each page.
    list_filter = ["what", "at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "detail", "object_ids"]
    readonly_fields = ["at", "user", "what", "count", "object_ids", "detail"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
