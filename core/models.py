"""Operational state of the running system."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last time a background component proved it was alive (beat → broker → worker → DB)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.last_seen:%Y-%m-%d %H:%M:%S}"


class Profile(models.Model):
    """A user's preferences: the language of e-mails and of the interface after login."""

    class Language(models.TextChoices):
        SWEDISH = "sv", _("Swedish")
        ENGLISH = "en", _("English")

    user = models.OneToOneField(
        "auth.User", on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.SWEDISH
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"


def language_of(user) -> str:
    """The language to write to ``user`` in (Swedish unless the profile says otherwise)."""
    profile = getattr(user, "profile", None)
    return profile.language if profile else Profile.Language.SWEDISH


class ReadLog(models.Model):
    """An officer's, manager's or superuser's read of participant-level rows (the audit trail of
    reads; GDPR art. 32). Changes are recorded separately, by the models' history."""

    class What(models.TextChoices):
        """Where the rows were read: a code, shown in the reader's language."""

        REVIEW = "rows_review", _("placement rows (review page)")
        REPORT_PAGE = "rows_report_page", _("placement rows (report page)")
        ROW_LIST = "rows_list", _("placement rows (list)")
        ROW = "row", _("placement row")
        EXPORT = "rows_export", _("placement rows (export)")
        API = "rows_api", _("placement rows (API)")

    user = models.ForeignKey(
        "auth.User",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    what = models.CharField(_("what"), max_length=100, choices=What.choices)
    object_ids = models.TextField(_("object ids"), blank=True)
    count = models.PositiveIntegerField(_("rows"), default=0)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("read of participant data")
        verbose_name_plural = _("reads of participant data")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.get_what_display()}"
