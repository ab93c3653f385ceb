"""Model clauses an officer can fill a social clause from (docs/RULES.md, the Swedish model).

A template names what it fills: the kind, the metric, the options of the Swedish model and the
contractual wording in Swedish. The wording is always Swedish (it is the contract's text); the
template's name follows the user's language. Targets are the contract's own figure: a template
leaves the target to the officer (a numeric template needs one) and writes it into the wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from internships.choices import EmploymentType

from .choices import ClauseKind, Metric


def swedish_number(value: Decimal | int | None) -> str:
    """A figure as a Swedish contract writes it: ``12,5``, ``1 000``; ``N`` when not yet known."""
    if value is None:
        return "N"
    number = Decimal(value).normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    whole, _sep, fraction = f"{number:f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    text = sign + "\u00a0".join(groups or ["0"])
    return f"{text},{fraction}" if fraction else text


@dataclass(frozen=True)
class ClauseTemplate:
    """One model clause: what choosing it fills in."""

    code: str
    name: Promise
    kind: str
    metric: str
    #: The wording in Swedish; ``{target}``, ``{weeks}`` and ``{hours}`` (full-time hours per
    #: week) are filled from the clause.
    text: str
    min_placement_weeks: Decimal = Decimal(0)
    employment_types: tuple[str, ...] = ()
    full_time_hours_per_week: Decimal = Decimal(40)
    first_start_within_days: int | None = None
    requires_matcher_confirmation: bool = False

    def values(self) -> dict:
        """The clause fields the template fills (not the wording: see :meth:`wording`)."""
        return {
            "kind": self.kind,
            "metric": self.metric,
            "min_placement_weeks": self.min_placement_weeks,
            "employment_types": list(self.employment_types),
            "full_time_hours_per_week": self.full_time_hours_per_week,
            "first_start_within_days": self.first_start_within_days,
            "requires_matcher_confirmation": self.requires_matcher_confirmation,
        }

    def wording(
        self,
        *,
        target: Decimal | None,
        min_placement_weeks: Decimal | None,
        full_time_hours_per_week: Decimal | None,
    ) -> str:
        """The Swedish contractual text with the clause's own figures in it."""
        return self.text.format(
            target=swedish_number(target),
            weeks=swedish_number(min_placement_weeks),
            hours=swedish_number(full_time_hours_per_week),
        )


UHM_11554_A = ClauseTemplate(
    code="uhm_11554_a",
    name=_("Upphandlingsmyndigheten 11554 alt. a (employment, full-time months)"),
    kind=ClauseKind.NUMERIC,
    metric=Metric.FTE_MONTHS,
    employment_types=(EmploymentType.EMPLOYMENT, EmploymentType.APPRENTICESHIP),
    first_start_within_days=183,
    requires_matcher_confirmation=True,
    text=(
        "Leverantören ska under avtalstiden anställa personer som står långt från "
        "arbetsmarknaden i en omfattning av sammanlagt minst {target} heltidsmånader. "
        "Minst en anställning ska ha påbörjats eller erbjudits inom sex månader från "
        "avtalets start. Kandidater föreslås av den matchningsansvariga organisationen "
        "(beställarens arbetsmarknadsenhet eller Arbetsförmedlingen), som också bekräftar "
        "de anställningar leverantören redovisar. En heltidsmånad motsvarar en månads "
        "arbete på heltid ({hours} timmar i veckan). Avslutar arbetstagaren själv anställningen "
        "i förtid räknas den när minst 75 procent av den avtalade tiden har fullgjorts."
    ),
)

PLACEMENTS_MIN_WEEKS = ClauseTemplate(
    code="placements_min_weeks",
    name=_("Placements, at least N weeks each"),
    kind=ClauseKind.NUMERIC,
    metric=Metric.PLACEMENTS,
    min_placement_weeks=Decimal(4),
    employment_types=(EmploymentType.INTERNSHIP,),
    text=(
        "Entreprenören ska under kontraktstiden erbjuda minst {target} praktikplatser om "
        "minst {weeks} veckor vardera till personer som står långt från arbetsmarknaden. "
        "En praktik som deltagaren själv avbryter räknas när minst 75 procent av den "
        "avtalade tiden har fullgjorts. Entreprenören redovisar praktikplatserna i "
        "uppföljningen enligt beställarens anvisningar."
    ),
)

DIALOGUE_PLACEMENTS = ClauseTemplate(
    code="dialogue_placements",
    name=_("Dialogue: placements offered in dialogue with the buyer (no target)"),
    kind=ClauseKind.DIALOGUE,
    metric=Metric.PLACEMENTS,
    text=(
        "Entreprenören ska i dialog med beställaren erbjuda praktikplatser till personer "
        "som står långt från arbetsmarknaden. Omfattningen bestäms i dialogen och följs "
        "upp i entreprenörens redovisning; beställaren kan senare fastställa ett "
        "antal praktikplatser som krav."
    ),
)

#: Every template, in the order the admin offers them.
TEMPLATES: dict[str, ClauseTemplate] = {
    template.code: template for template in (UHM_11554_A, PLACEMENTS_MIN_WEEKS, DIALOGUE_PLACEMENTS)
}


def template_choices() -> list[tuple[str, Promise]]:
    """``(code, name)`` pairs of the templates, for a form's choice field."""
    return [(template.code, template.name) for template in TEMPLATES.values()]


def template_fill(values: dict, *, template: ClauseTemplate, keep: set[str]) -> dict:
    """``values`` (a clause's fields by name) with the template's filled in.

    Fields named in ``keep`` (those the officer set themselves) stay as they are; so does a
    wording the officer wrote. The wording is written with the clause's figures after the fill,
    and ``template`` records the template's code.
    """
    filled = dict(values)
    for name, value in template.values().items():
        if name not in keep:
            filled[name] = value
    if "text" not in keep or not (filled.get("text") or "").strip():
        filled["text"] = template.wording(
            target=filled.get("target"),
            min_placement_weeks=filled.get("min_placement_weeks"),
            full_time_hours_per_week=filled.get("full_time_hours_per_week"),
        )
    filled["template"] = template.code
    return filled
