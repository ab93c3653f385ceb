"""A contract as an Open Contracting Data Standard 1.1 release package (docs/API.md).

The package holds one release about the contract, with the Sustainability and Metrics extensions:

* ``tender.sustainability``: the goal ``social.disadvantagedEmploymentOpportunities`` pursued with
  the strategy ``contractPerformanceConditions`` (the social clauses are conditions of performance);
* ``contracts[0].agreedMetrics``: one metric per social clause, whose observations are the target
  (for the clause's whole window) and each milestone's cumulative target (up to its date); a
  dialogue clause (no target) has a description and no observation; full-time months have the
  unit ``MON`` and a description of a full-time month's hours;
* ``contracts[0].implementation.metrics``: the same metric ids, with one observation per reporting
  period that has ended by ``as_of`` and overlaps the clause's window. Its ``measure`` is what was
  *reported* (reports submitted or approved, with the status they have now) for that period.

Delivery per period comes from the compliance engine, not from a formula of its own: each clause is
evaluated as of the end of every ended period (:func:`contracts.selectors.evaluate_clauses`), and a
period's delivery is how much the clause's reported total grew since the end of the period before.
Rows belong to their report's period, so that is the period's own delivery (for ``placements``: the
participants who first reached the clause's minimum in that period). The totals are rounded to 2
places as the API shows them, so the observations of a clause add up exactly to its reported total
at the end of the last ended period.

:func:`contract_figures` gathers these figures from the database; :func:`release_package` builds the
JSON-ready package from them without touching the database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from contracts import selectors
from contracts.choices import ContractStatus, Metric
from contracts.models import Contract, SocialClause
from procurement.models import Procurement

OCDS_VERSION = "1.1"
#: The extensions' ``extension.json`` files, as the extension registry lists them.
METRICS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_metric_extension/master/extension.json"
)
SUSTAINABILITY_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_sustainability_extension/master/extension.json"
)
EXTENSIONS = (METRICS_EXTENSION, SUSTAINABILITY_EXTENSION)
SUSTAINABILITY_GOAL = "social.disadvantagedEmploymentOpportunities"
SUSTAINABILITY_STRATEGY = "contractPerformanceConditions"
#: Swedish organisation numbers, as registered by Bolagsverket (org-id.guide).
ORG_SCHEME = "SE-BLV"
CURRENCY = "SEK"
#: UN/CEFACT Recommendation 20 unit of each metric: one (a count), week, hour, month (a
#: full-time month: its hours are stated in the metric's description).
UNITS = {
    Metric.PLACEMENTS: "C62",
    Metric.PLACEMENT_WEEKS: "WEE",
    Metric.HOURS: "HUR",
    Metric.FTE_MONTHS: "MON",
}
TENDER_STATUS = {
    Procurement.Status.PLANNED: "planned",
    Procurement.Status.OPEN: "active",
    Procurement.Status.AWARDED: "complete",
    Procurement.Status.CLOSED: "complete",
}
#: Procurements whose award is made (OCDS award status "active").
TENDER_STATUS_AWARDED = (Procurement.Status.AWARDED, Procurement.Status.CLOSED)
CONTRACT_STATUS = {
    ContractStatus.DRAFT: "pending",
    ContractStatus.ACTIVE: "active",
    # OCDS "terminated": signed, in force, and now come to a close, early or not.
    ContractStatus.COMPLETED: "terminated",
    ContractStatus.TERMINATED: "terminated",
}


@dataclass(frozen=True)
class PeriodDelivery:
    """What was reported for a clause in one reporting period (the part inside its window)."""

    start: date
    end: date
    reported: Decimal


@dataclass(frozen=True)
class ClauseFigures:
    """A clause with its delivery per ended reporting period, oldest first."""

    clause: SocialClause
    deliveries: tuple[PeriodDelivery, ...]


def ocid_prefix() -> str:
    """The publisher's ocid prefix, registered with the Open Contracting Partnership."""
    return getattr(settings, "OCDS_PREFIX", "ocds-xxxxxx")


def buyer_name() -> str:
    """The housing company that buys, and publishes the data."""
    return getattr(settings, "OCDS_BUYER_NAME", "Vätterhem")


def ocid_for(contract: Contract, *, prefix: str | None = None) -> str:
    """The contracting process id: the publisher's registered prefix and the contract reference."""
    return f"{prefix or ocid_prefix()}-{contract.reference}"


def contract_figures(contract: Contract, *, as_of: date) -> list[ClauseFigures]:
    """The clauses of ``contract`` with what was reported per reporting period ended by ``as_of``.

    Three queries for the clauses, and four per ended period that overlaps a clause's window.
    """
    one = Contract.objects.filter(pk=contract.pk)
    clauses = list(selectors.clauses_for_evaluation(one))
    periods = [
        period
        for period in contract.reporting_periods()
        if period.end <= as_of
        and any(c.start_date <= period.end and period.start <= c.due_date for c in clauses)
    ]
    # Reported total of each clause at the end of each period (0 before the first one).
    reported_at: list[dict[int, Decimal]] = [
        {
            item.clause.id: item.evaluation.reported
            for item in selectors.evaluate_clauses(as_of=period.end, contracts=one)
        }
        for period in periods
    ]
    figures = []
    for clause in clauses:
        deliveries = []
        before = Decimal(0)
        for period, totals in zip(periods, reported_at, strict=True):
            now = totals.get(clause.id, Decimal(0))
            if clause.start_date <= period.end and period.start <= clause.due_date:
                deliveries.append(
                    PeriodDelivery(
                        start=max(period.start, clause.start_date),
                        end=min(period.end, clause.due_date),
                        reported=now - before,
                    )
                )
            before = now
        figures.append(ClauseFigures(clause, tuple(deliveries)))
    return figures


# --- The package ----------------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    """A JSON number: whole values as integers, others as the nearest float."""
    return int(value) if value == value.to_integral_value() else float(value)


def _start(day: date) -> str:
    """The start of ``day`` in the local time zone, as OCDS date-times are written."""
    return timezone.make_aware(datetime.combine(day, time.min)).isoformat()


def _end(day: date) -> str:
    """The last second of ``day`` in the local time zone (OCDS: an end date is inclusive)."""
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59))).isoformat()


def _period(start: date, end: date) -> dict[str, str]:
    return {"startDate": _start(start), "endDate": _end(end)}


def _metric_id(clause: SocialClause) -> str:
    return f"clause-{clause.id}"


def _unit(metric: str) -> dict[str, str]:
    return {"name": str(Metric(metric).label), "scheme": "UNCEFACT", "id": UNITS[metric]}


def _metric_description(clause: SocialClause) -> str:
    """What the metric's figures mean beyond its unit, and the contract's own wording: a full-time
    month's hours; a dialogue clause has no agreed quantity (DESIGN.md §10.2)."""
    parts = []
    if clause.is_dialogue:
        parts.append(
            _(
                "Dialogue clause: the contractor offers placements in dialogue with the buyer; "
                "no quantity is agreed. The implementation shows what was reported."
            )
        )
    if clause.metric == Metric.FTE_MONTHS:
        hours = clause.full_time_hours_per_week
        parts.append(
            _(
                "Full-time months: hours worked × 12 / (52 × %(hours)s hours a week), as in "
                "Upphandlingsmyndigheten's criterion 11554."
            )
            % {"hours": _number(hours)}
        )
    if clause.text.strip():
        parts.append(clause.text.strip())
    return "\n\n".join(parts)


def _agreed_metric(clause: SocialClause) -> dict[str, Any]:
    metric_id = _metric_id(clause)
    metric: dict[str, Any] = {
        "id": metric_id,
        "title": capfirst(str(Metric(clause.metric).label)),
    }
    if not clause.is_dialogue:
        # A dialogue clause has no target: no observation, no quantity (the description says so).
        unit = _unit(clause.metric)
        groups = sorted(group.code for group in clause.target_groups.all())
        target = {
            "id": f"{metric_id}-target",
            "period": _period(clause.start_date, clause.due_date),
            "measure": _number(clause.target),
            "unit": unit,
        }
        dimensions = {}
        if groups:
            dimensions["targetGroups"] = ",".join(groups)
        if clause.employment_types:
            dimensions["employmentTypes"] = ",".join(sorted(clause.employment_types))
        if dimensions:
            target["dimensions"] = dimensions
        observations = [target]
        for milestone in clause.milestones.all():
            observations.append(
                {
                    "id": f"{metric_id}-milestone-{milestone.date.isoformat()}",
                    "period": _period(clause.start_date, milestone.date),
                    "measure": _number(milestone.cumulative_target),
                    "unit": unit,
                }
            )
        metric["observations"] = observations
    description = _metric_description(clause)
    if description:
        metric["description"] = description
    return metric


def _implementation_metric(figures: ClauseFigures) -> dict[str, Any] | None:
    if not figures.deliveries:
        return None
    clause = figures.clause
    metric_id = _metric_id(clause)
    unit = _unit(clause.metric)
    return {
        "id": metric_id,
        "title": capfirst(str(Metric(clause.metric).label)),
        "observations": [
            {
                "id": f"{metric_id}-{delivery.start.isoformat()}",
                "period": _period(delivery.start, delivery.end),
                "measure": _number(delivery.reported),
                "unit": unit,
            }
            for delivery in figures.deliveries
        ],
    }


def _release_id(ocid: str, release: dict[str, Any]) -> str:
    """A release id that names the information, not the request: the same facts always give the
    same id, and any change (a report approved, a period ended) gives a new one."""
    canonical = json.dumps(release, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"{ocid}-{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


def release_package(
    contract: Contract,
    figures: list[ClauseFigures],
    *,
    uri: str,
    published: datetime,
    prefix: str | None = None,
    buyer: str | None = None,
) -> dict[str, Any]:
    """The OCDS 1.1 release package of ``contract`` from its ``figures`` (no database access).

    Expects ``contract`` with its procurement and contractor loaded, and each clause with its
    target groups and milestones prefetched (as :func:`contract_figures` gives them).
    """
    ocid = ocid_for(contract, prefix=prefix)
    buyer = buyer or buyer_name()
    buyer_org = _buyer_org()
    buyer_id = f"{ORG_SCHEME}-{buyer_org}" if buyer_org else "buyer"
    contractor = contract.contractor
    supplier_id = f"{ORG_SCHEME}-{contractor.org_number}"
    procurement = contract.procurement
    award_id = f"{contract.reference}-award"

    buyer_party: dict[str, Any] = {
        "id": buyer_id,
        "name": buyer,
        "roles": ["buyer", "procuringEntity"],
    }
    if buyer_org:
        buyer_party["identifier"] = {
            "scheme": ORG_SCHEME,
            "id": buyer_org,
            "legalName": buyer,
        }
    tender: dict[str, Any] = {
        "id": procurement.reference,
        "title": procurement.title,
        "status": TENDER_STATUS[procurement.status],
        "hasSustainability": True,
        "sustainability": [
            {
                "goal": SUSTAINABILITY_GOAL,
                "strategies": [SUSTAINABILITY_STRATEGY],
                "description": _(
                    "Social clauses: work placements for people far from the labour market."
                ),
            }
        ],
    }
    if procurement.description.strip():
        tender["description"] = procurement.description.strip()
    value = {"amount": _number(contract.value_sek), "currency": CURRENCY}
    award: dict[str, Any] = {
        "id": award_id,
        "title": contract.title,
        "status": "active" if procurement.status in TENDER_STATUS_AWARDED else "pending",
        "value": value,
        "suppliers": [{"id": supplier_id, "name": contractor.name}],
        "contractPeriod": _period(contract.start_date, contract.end_date),
    }
    if procurement.awarded_on:
        award["date"] = _start(procurement.awarded_on)
    ocds_contract: dict[str, Any] = {
        "id": contract.reference,
        "awardID": award_id,
        "title": contract.title,
        "status": CONTRACT_STATUS[contract.status],
        "period": _period(contract.start_date, contract.end_date),
        "value": value,
    }
    if figures:
        ocds_contract["agreedMetrics"] = [_agreed_metric(item.clause) for item in figures]
    delivered = [m for m in map(_implementation_metric, figures) if m is not None]
    if delivered:
        ocds_contract["implementation"] = {"metrics": delivered}

    release: dict[str, Any] = {
        "ocid": ocid,
        "tag": ["contract", "implementation"] if delivered else ["contract"],
        "initiationType": "tender",
        "language": (get_language() or settings.LANGUAGE_CODE).split("-")[0],
        "parties": [
            buyer_party,
            {
                "id": supplier_id,
                "name": contractor.name,
                "identifier": {
                    "scheme": ORG_SCHEME,
                    "id": contractor.org_number,
                    "legalName": contractor.name,
                },
                "roles": ["supplier"],
            },
        ],
        "buyer": {"id": buyer_id, "name": buyer},
        "tender": tender,
        "awards": [award],
        "contracts": [ocds_contract],
    }
    release = {"id": _release_id(ocid, release), "date": published.isoformat(), **release}
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": list(EXTENSIONS),
        "publishedDate": published.isoformat(),
        "publisher": {"name": buyer},
        "releases": [release],
    }


def _buyer_org() -> str:
    """The buyer's organisation number, when configured (``OCDS_BUYER_ORG_NUMBER``)."""
    return getattr(settings, "OCDS_BUYER_ORG_NUMBER", "") or ""
