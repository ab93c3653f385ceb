from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    """The matching organisation (docs/RULES.md, the Swedish model): row confirmation and
    referrals. Its models live where their data belongs (``procurement.LabourMarketUnit``,
    ``internships.Referral``, ``PlacementRow.verification``); this app holds the rules."""

    name = "matching"
    verbose_name = _("Matching")
