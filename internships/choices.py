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


#: A report's rows may be written (portal, API, admin) only in these statuses: a draft, or a
#: rejected report being fixed. Anything sent for review changes through a correction.
EDITABLE_STATUSES = (ReportStatus.DRAFT, ReportStatus.REJECTED)
