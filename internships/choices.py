"""Enumerations of the internships app, importable without loading models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    #: An approved report replaced by an approved correction: kept, no longer counted.
    SUPERSEDED = "superseded", _("superseded")


#: Reports whose rows count as *reported* (DESIGN.md §4) and make a period *received* (§5) —
#: except a correction, which counts only once approved (see ``PlacementReport.corrects``).
COUNTED_STATUSES = frozenset({ReportStatus.SUBMITTED.value, ReportStatus.APPROVED.value})
#: Reports whose rows count as *verified*.
VERIFIED_STATUSES = frozenset({ReportStatus.APPROVED.value})
