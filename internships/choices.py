"""Enumerations of the internships app, importable without loading models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


#: Reports whose rows count as *reported* (DESIGN.md §4) and make a period *received* (§5).
COUNTED_STATUSES = frozenset({ReportStatus.SUBMITTED.value, ReportStatus.APPROVED.value})
#: Reports whose rows count as *verified*.
VERIFIED_STATUSES = frozenset({ReportStatus.APPROVED.value})
