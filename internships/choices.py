"""Enumerations of the internships app, importable without loading models."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class EmploymentType(models.TextChoices):
    """What kind of job a row is (docs/RULES.md, the Swedish model)."""

    INTERNSHIP = "internship", _("internship")
    APPRENTICESHIP = "apprenticeship", _("apprenticeship")
    EMPLOYMENT = "employment", _("employment")


class Gender(models.TextChoices):
    WOMAN = "woman", _("woman")
    MAN = "man", _("man")
    OTHER = "other", pgettext_lazy("gender", "other")
    UNDISCLOSED = "undisclosed", _("not told")


class BornAbroad(models.TextChoices):
    YES = "yes", _("yes")
    NO = "no", _("no")
    UNDISCLOSED = "undisclosed", _("not told")


class AgeBand(models.TextChoices):
    AGE_16_24 = "16-24", "16–24"
    AGE_25_29 = "25-29", "25–29"
    AGE_30_49 = "30-49", "30–49"
    AGE_50_64 = "50-64", "50–64"
    AGE_65_PLUS = "65+", "65+"
    UNDISCLOSED = "undisclosed", _("not told")


class Verification(models.TextChoices):
    """The matcher's word on a row (requires_matcher_confirmation)."""

    UNCONFIRMED = "unconfirmed", _("unconfirmed")
    CONFIRMED = "confirmed", _("confirmed")
    DISPUTED = "disputed", _("disputed")


class ReferralStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
