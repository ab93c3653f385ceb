"""Districts, contractors (with their users) and procurements (docs/RULES.md §5)."""

import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .validators import normalise_org_number, validate_org_number


class District(models.Model):
    """A residential district (stadsdel) where contracts are carried out."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    municipality = models.CharField(_("municipality"), max_length=100, default="Jönköping")

    class Meta:
        ordering = ["name"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Contractor(models.Model):
    """A company that delivers contracts and reports placements (entreprenör)."""

    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"),
        max_length=11,
        unique=True,
        validators=[validate_org_number],
        help_text=_("Swedish organisationsnummer, NNNNNN-NNNN."),
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ContractorMembership",
        related_name="contractors",
        verbose_name=_("users"),
        blank=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # One stored form, so the unique constraint also catches "5560360793" vs "556036-0793".
        self.org_number = normalise_org_number(self.org_number)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Normalise before validate_unique runs, so "5560360793" is seen as a duplicate of
        # "556036-0793". An invalid number is already reported by the field validator.
        with contextlib.suppress(ValidationError):
            self.org_number = normalise_org_number(self.org_number)


class ContractorMembership(models.Model):
    """Links a user to the one contractor it reports for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="contractor_membership",
        verbose_name=_("user"),
    )
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("contractor"),
    )

    class Meta:
        verbose_name = _("contractor membership")
        verbose_name_plural = _("contractor memberships")

    def __str__(self) -> str:
        return f"{self.user} → {self.contractor}"


class LabourMarketUnit(models.Model):
    """A matching organisation (matchningsansvarig): the municipality's labour-market unit or
    Arbetsförmedlingen. It finds candidates for the contracts it serves and confirms or disputes
    the rows contractors report (docs/RULES.md, the Swedish model)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    org_number = models.CharField(
        _("organisation number"),
        max_length=11,
        blank=True,
        validators=[validate_org_number],
        help_text=_("Swedish organisationsnummer, NNNNNN-NNNN. Optional."),
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="LabourMarketUnitMembership",
        related_name="labour_market_units",
        verbose_name=_("users"),
        blank=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("labour-market unit")
        verbose_name_plural = _("labour-market units")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.org_number:
            self.org_number = normalise_org_number(self.org_number)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.org_number:
            with contextlib.suppress(ValidationError):
                self.org_number = normalise_org_number(self.org_number)


class LabourMarketUnitMembership(models.Model):
    """Links a user (role matcher) to the one labour-market unit it works for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="matcher_membership",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        LabourMarketUnit,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("labour-market unit"),
    )

    class Meta:
        verbose_name = _("matcher membership")
        verbose_name_plural = _("matcher memberships")

    def __str__(self) -> str:
        return f"{self.user} → {self.unit}"


class Procurement(models.Model):
    """A procurement (upphandling) that ends in one or more contracts."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        OPEN = "open", pgettext_lazy("procurement status", "open")
        AWARDED = "awarded", _("awarded")
        CLOSED = "closed", _("closed")

    reference = models.CharField(
        _("reference"), max_length=50, unique=True, help_text=_("Diarienummer.")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="procurements",
        verbose_name=_("procurement officer"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    awarded_on = models.DateField(_("awarded on"), null=True, blank=True)

    class Meta:
        ordering = ["-awarded_on", "reference"]
        verbose_name = _("procurement")
        verbose_name_plural = _("procurements")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["planned", "open", "awarded", "closed"]),
                name="procurement_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"
