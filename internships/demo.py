"""The demo data set behind ``manage.py seed_demo``.

Realistic Jönköping contracts, dated relative to the day the data is made, so that a fresh demo
always shows every clause status of docs/RULES.md §2.2, overdue periods and reports in every status.
Each clause is given an intended status; placements are then added one participant at a time and
checked with the compliance engine itself until the clause delivers what that status needs.
Running it again leaves existing objects as they are and only adds what is missing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from contracts.choices import ClauseStatus, ContractStatus, Metric, ReportingFrequency
from contracts.compliance import (
    ClauseTerms,
    RowFact,
    evaluate_clause,
    expected_to_date,
)
from contracts.models import ClauseMilestone, Contract, SocialClause, TargetGroup
from contracts.schedule import Period
from core.luhn import luhn_check_digit
from core.roles import MANAGERS, OFFICERS
from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow, RowDates, row_errors
from internships.pseudonyms import participant_ref_from
from procurement.models import Contractor, ContractorMembership, District, Procurement

DEFAULT_PASSWORD = "demo1234"  # noqa: S105 - documented demo password, overridable
ALL_GROUPS = [
    "long_term_unemployed",
    "newly_arrived",
    "foreign_born_women",
    "youth",
    "disability",
    "other",
]
ROLES = ["Snickare", "Betongarbetare", "Målare", "Elektriker", "Rörmontör", "Markarbetare", None]

CONTRACTORS = [
    # name, first nine digits of the organisationsnummer (the tenth is the Luhn digit), e-mail
    ("Vätterstrand Bygg AB", "556712340", "info@vatterstrandbygg.example.se"),
    ("Jönköpings Entreprenad AB", "556801122", "kontakt@jkpgentreprenad.example.se"),
    ("Huskvarna Bygg & Montage AB", "556633471", "info@hbm.example.se"),
    ("Smålands Husbyggare AB", "559012345", "projekt@smalandshus.example.se"),
    ("Norrahammar Mark & Anläggning AB", "556489230", "info@nma.example.se"),
]

PROCUREMENTS = [
    # reference, title, description, months before the current month it was awarded
    (
        "VH-2022-0031",
        "Ramavtal ombyggnad och energieffektivisering",
        "Ombyggnad av flerbostadshus från miljonprogrammet med sociala krav på praktikplatser.",
        40,
    ),
    (
        "VH-2023-0012",
        "Nyproduktion hyresrätter 2023–2026",
        "Strategisk upphandling av nyproduktion med sysselsättningskrav.",
        33,
    ),
    (
        "VH-2024-0007",
        "Nyproduktion Bymarken, Söder och Tenhult",
        "Nyproduktion med krav på praktikplatser för personer långt från arbetsmarknaden.",
        20,
    ),
]


@dataclass(frozen=True)
class ClausePlan:
    metric: str
    target: int
    aim: str  # a ClauseStatus value, or "free" for whatever the deliveries give
    tolerance: int = 10
    min_weeks: int = 0
    groups: tuple[str, ...] = ()
    penalty: int = 0
    starts_after_months: int = 0
    milestones: tuple[tuple[int, int], ...] = ()  # (months after the clause start, cumulative)
    text: str = ""


@dataclass(frozen=True)
class ContractPlan:
    reference: str
    title: str
    procurement: int
    contractor: int
    district: str
    value_msek: int
    start_months: int  # months from the first of the current month (negative: in the past)
    months: int
    frequency: str
    clauses: tuple[ClausePlan, ...]
    start_day: int = 1
    missing: tuple[int, ...] = ()  # periods left unreported (overdue), by index
    rejected: tuple[int, ...] = ()  # periods first rejected, then sent again and approved
    has_manager: bool = True


P, W, H = Metric.PLACEMENTS, Metric.PLACEMENT_WEEKS, Metric.HOURS
S = ClauseStatus
CONTRACT_PLANS = [
    ContractPlan(
        "K-2023-101", "Öxnehaga kv. Lärkan, 64 lägenheter", 1, 0, "Öxnehaga", 182, -32, 30,
        ReportingFrequency.QUARTERLY,
        (
            ClausePlan(P, 8, S.BREACHED, min_weeks=4, penalty=25000,
                       groups=("long_term_unemployed", "newly_arrived"),
                       text="Entreprenören ska erbjuda minst 8 praktikplatser om minst 4 veckor "
                            "till långtidsarbetslösa eller nyanlända."),
            ClausePlan(H, 6000, S.MET, text="Minst 6 000 timmar sysselsättning för målgrupperna."),
        ),
    ),
    ContractPlan(
        "K-2024-102", "Råslätt centrum, ombyggnad", 0, 1, "Råslätt", 96, -26, 36,
        ReportingFrequency.MONTHLY,
        (ClausePlan(W, 400, S.ON_TRACK, milestones=((12, 100), (24, 250)),
                    text="400 praktikveckor under kontraktstiden, 100 efter första året och "
                         "250 efter andra."),),
        rejected=(3,),
    ),
    ContractPlan(
        "K-2024-103", "Österängen stambyte etapp 1", 0, 2, "Österängen", 54, -22, 30,
        ReportingFrequency.QUARTERLY,
        (
            ClausePlan(P, 10, S.BEHIND, tolerance=20, min_weeks=4, penalty=15000),
            ClausePlan(H, 5000, "free", groups=("foreign_born_women",),
                       text="5 000 timmar för utrikesfödda kvinnor."),
        ),
        missing=(2,),
    ),
    ContractPlan(
        "K-2024-104", "Huskvarna Grännavägen, 48 lägenheter", 1, 3, "Huskvarna", 140, -20, 28,
        ReportingFrequency.QUARTERLY,
        (ClausePlan(H, 8000, S.AT_RISK, penalty=200),),
        rejected=(1,),
    ),
    ContractPlan(
        "K-2024-105", "Bymarken Norra, tre punkthus", 2, 0, "Bymarken", 210, -18, 36,
        ReportingFrequency.MONTHLY,
        (ClausePlan(P, 12, S.BEHIND, min_weeks=6, groups=("foreign_born_women",),
                    milestones=((12, 3), (24, 8)), penalty=30000),),
        missing=(9,), has_manager=False,
    ),
    ContractPlan(
        "K-2025-106", "Söder kv. Gjuteriet", 2, 4, "Söder", 75, -15, 24,
        ReportingFrequency.QUARTERLY,
        (ClausePlan(W, 200, S.MET),),
    ),
    ContractPlan(
        "K-2025-107", "Tenhult förskola och trygghetsboende", 2, 1, "Tenhult", 64, -12, 24,
        ReportingFrequency.MONTHLY,
        (ClausePlan(H, 4500, S.ON_TRACK, groups=("youth",),
                    milestones=((6, 1000), (12, 2250), (18, 3500))),),
        rejected=(2,), start_day=15,
    ),
    ContractPlan(
        "K-2025-108", "Råslätt kv. Sjöjungfrun, fasadrenovering", 0, 3, "Råslätt", 38, -10, 18,
        ReportingFrequency.QUARTERLY,
        (ClausePlan(P, 5, "free", tolerance=25, min_weeks=2),),
    ),
    ContractPlan(
        "K-2025-109", "Öxnehaga lekplatser och utemiljö", 0, 2, "Öxnehaga", 18, -8, 10,
        ReportingFrequency.MONTHLY,
        (ClausePlan(W, 60, S.BEHIND, groups=("youth", "newly_arrived")),),
        has_manager=False,
    ),
    ContractPlan(
        "K-2026-110", "Huskvarna kv. Ekudden, 120 lägenheter", 2, 0, "Huskvarna", 260, -2, 40,
        ReportingFrequency.QUARTERLY,
        (
            ClausePlan(P, 15, S.NOT_STARTED, min_weeks=8, starts_after_months=4,
                       text="Från stomresningen: 15 praktikplatser om minst 8 veckor."),
            ClausePlan(H, 10000, "free"),
        ),
    ),
    ContractPlan(
        "K-2026-111", "Bymarken garage och markarbeten", 2, 4, "Bymarken", 22, 1, 14,
        ReportingFrequency.MONTHLY,
        (ClausePlan(W, 40, S.NOT_STARTED),),
    ),
    ContractPlan(
        "K-2022-112", "Österängen energieffektivisering", 0, 0, "Österängen", 45, -36, 24,
        ReportingFrequency.QUARTERLY,
        (ClausePlan(W, 150, S.MET, groups=("long_term_unemployed",)),),
    ),
    ContractPlan(
        "K-2023-113", "Väster kv. Tändstickan", 1, 3, "Väster", 120, -30, 27,
        ReportingFrequency.QUARTERLY,
        (ClausePlan(H, 7000, S.BREACHED, penalty=150),),
    ),
    ContractPlan(
        "K-2024-114", "Ekhagen, 36 radhus", 2, 1, "Ekhagen", 88, -14, 24,
        ReportingFrequency.QUARTERLY,
        (ClausePlan(P, 6, S.ON_TRACK, min_weeks=4, milestones=((6, 1), (12, 3), (18, 5))),),
    ),
]  # fmt: skip


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months (the day of month is kept; demo days are ≤ 28)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, day.day)


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, number: int = 1) -> None:
        self.created[name] = self.created.get(name, 0) + number


def _aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def ensure_users(password: str, contractors: list[Contractor], result: SeedResult) -> dict:
    """The demo users: an officer, a manager and two contractor users of different contractors."""
    officers, managers = Group.objects.get(name=OFFICERS), Group.objects.get(name=MANAGERS)
    specs = [
        ("officer", "Olivia", "Upphandlare", officers, None),
        ("manager", "Mats", "Integrationsstrateg", managers, None),
        ("entreprenor1", "Elin", "Entreprenör", None, contractors[0]),
        ("entreprenor2", "Erik", "Entreprenör", None, contractors[1]),
    ]
    users = {}
    for username, first, last, group, contractor in specs:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.se",
                "is_staff": group is not None,
            },
        )
        if created:
            result.count("users")
        user.set_password(password)
        user.save(update_fields=["password"])
        if group:
            user.groups.add(group)
        if contractor:
            ContractorMembership.objects.get_or_create(
                user=user, defaults={"contractor": contractor}
            )
        users[username] = user
    return users


class _Deliveries:
    """Placements of one contract, generated participant by participant."""

    def __init__(
        self, plan: ContractPlan, periods: list[Period], statuses: dict[int, list[str]], rng
    ):
        self.plan = plan
        self.periods = periods
        self.statuses = statuses  # period index -> statuses of its reports, oldest first
        self.rng = rng
        self.participants: list[list[tuple[int, RowDates, str]]] = []  # rows by participant

    def facts(self) -> list[RowFact]:
        facts = []
        for rows in self.participants:
            for period_index, row, group in rows:
                for status in self.statuses[period_index]:
                    facts.append(
                        RowFact(
                            row.participant_ref,
                            group,
                            row.start_date,
                            row.end_date,
                            row.hours,
                            status,
                        )
                    )
        return facts

    def candidate(self, window: tuple[date, date], groups: tuple[str, ...], max_weeks: int):
        """Rows of a new participant working for a few weeks inside ``window``."""
        number = len(self.participants) + 1
        prefix = self.plan.reference[-3:]
        if number % 5 == 0:
            # Some contractors send personnummer; they are pseudonymised before anything else.
            body = f"{self.rng.randint(55, 99):02d}{self.rng.randint(1, 12):02d}"
            body += f"{self.rng.randint(1, 28):02d}{self.rng.randint(100, 999):03d}"
            ref = participant_ref_from(personnummer=body + luhn_check_digit(body))
        else:
            ref = f"D{prefix}-{number:03d}"
        latest_start = max(window[0], window[1] - timedelta(days=14))
        start = window[0] + timedelta(days=self.rng.randint(0, (latest_start - window[0]).days))
        end = min(window[1], start + timedelta(weeks=self.rng.randint(3, max_weeks)))
        weekly_hours = Decimal(self.rng.choice([20, 25, 30, 32, 36, 38]))
        in_group = groups and self.rng.random() < 0.85
        group = self.rng.choice(groups if in_group else ALL_GROUPS)
        rows = []
        for index, period in enumerate(self.periods):
            row_start, row_end = max(start, period.start), min(end, period.end)
            if row_start > row_end or index not in self.statuses:
                continue  # no report for that period: the contractor has not told us yet
            days = (row_end - row_start).days + 1
            hours = (weekly_hours * days / 7).quantize(Decimal("0.01"), ROUND_HALF_UP)
            rows.append((index, RowDates(ref, row_start, row_end, hours), group))
        return rows

    def scaled(self, rows, factor: Fraction):
        scale = Decimal(factor.numerator) / Decimal(factor.denominator)
        return [
            (i, RowDates(r.participant_ref, r.start_date, r.end_date,
                         (r.hours * scale).quantize(Decimal("0.01"), ROUND_HALF_UP)), g)
            for i, r, g in rows
        ]  # fmt: skip


def _deliver(
    deliveries: _Deliveries,
    terms: ClauseTerms,
    aim: str,
    today: date,
    guards: list[tuple[ClauseTerms, Fraction]],
) -> tuple[ClauseTerms, Fraction] | None:
    """Add participants until the clause delivers what its intended status needs.

    ``guards`` are the ceilings of the contract's clauses already delivered: a participant added
    for this clause also counts for those, and must not lift them into another status. Returns
    this clause's own guard, if it has a ceiling.
    """
    expected = expected_to_date(terms, today)
    target = Fraction(terms.target)
    low = 1 - Fraction(terms.tolerance_pct) / 100
    goals: dict[str, tuple[Fraction, Fraction | None]] = {
        # aim: (deliver at least, stay strictly below)
        S.MET: (target * Fraction(21, 20), None),
        S.BREACHED: (target * Fraction(3, 5), target),
        S.ON_TRACK: (min(expected * Fraction(23, 20), (expected + target) / 2), target),
        S.AT_RISK: (expected * (low + 1) / 2, expected),
        S.BEHIND: (expected * low / 2, expected * low),
        S.NOT_STARTED: (Fraction(0), None),
        "free": (expected * Fraction(deliveries.rng.randint(70, 120), 100), target),
    }
    goal, ceiling = goals[aim]
    window = (terms.start_date, min(terms.due_date, today - timedelta(days=1)))
    if aim == S.NOT_STARTED:
        window = (min(window[0], today) - timedelta(days=60), today - timedelta(days=1))
    if window[1] < window[0]:
        return None

    def reported() -> Fraction:
        return Fraction(evaluate_clause(terms, deliveries.facts(), today).reported)

    def guarded() -> bool:
        facts = deliveries.facts()
        return all(
            Fraction(evaluate_clause(other, facts, today).reported) < limit
            for other, limit in guards
        )

    groups = terms.target_groups and tuple(sorted(terms.target_groups))
    current = reported()
    attempts = 0
    while current < goal and attempts < 400:
        attempts += 1
        max_weeks = 26 if attempts < 200 else 6
        rows = deliveries.candidate(window, groups, max_weeks)
        if not rows:
            continue
        deliveries.participants.append(rows)
        after = reported()
        if (ceiling is not None and after >= ceiling) or not guarded():
            deliveries.participants.pop()
            if terms.metric == Metric.HOURS and after > current:
                # Hours scale linearly: give the last participant just enough to reach the goal.
                deliveries.participants.append(
                    deliveries.scaled(rows, (goal - current) / (after - current))
                )
                if (ceiling is not None and reported() >= ceiling) or not guarded():
                    deliveries.participants.pop()
            current = reported()
            continue
        current = after
    return (terms, ceiling) if ceiling is not None else None


def _period_statuses(plan: ContractPlan, periods: list[Period], today: date) -> dict:
    """Which reports each period gets, by the age of its due date."""
    statuses: dict[int, list[str]] = {}
    for index, period in enumerate(periods):
        if period.start > today or index in plan.missing:
            continue
        if period.end >= today:
            # The running period: some contractors keep a draft going.
            if index % 2 == 0:
                statuses[index] = [ReportStatus.DRAFT]
            continue
        if period.due_date >= today:
            if index % 2 == 0:
                statuses[index] = [ReportStatus.DRAFT]
            continue
        if period.due_date >= today - timedelta(days=45):
            statuses[index] = [ReportStatus.SUBMITTED]
        elif index in plan.rejected:
            statuses[index] = [ReportStatus.REJECTED, ReportStatus.APPROVED]
        else:
            statuses[index] = [ReportStatus.APPROVED]
    return statuses


REJECT_COMMENTS = [
    "Timmarna för två deltagare saknas. Komplettera och skicka in igen.",
    "Målgrupp anges som 'övriga' för alla deltagare – ange rätt målgrupp.",
    "Raderna överlappar med föregående rapport. Kontrollera datumen.",
]


def _save_contract(
    plan: ContractPlan,
    *,
    today: date,
    rng: random.Random,
    procurements: list[Procurement],
    contractors: list[Contractor],
    users: dict,
    groups: dict[str, TargetGroup],
    result: SeedResult,
) -> None:
    first_of_month = today.replace(day=1)
    start = add_months(first_of_month, plan.start_months).replace(day=plan.start_day)
    end = add_months(start.replace(day=1), plan.months) - timedelta(days=1)
    contract = Contract.objects.create(
        reference=plan.reference,
        title=plan.title,
        procurement=procurements[plan.procurement],
        contractor=contractors[plan.contractor],
        district=District.objects.get(name=plan.district),
        value_sek=Decimal(plan.value_msek) * 1_000_000,
        start_date=start,
        end_date=end,
        reporting_frequency=plan.frequency,
        # Officers close a contract some months after its end, once every report is in.
        status=ContractStatus.COMPLETED
        if end < today - timedelta(days=180)
        else ContractStatus.ACTIVE,
    )
    result.count("contracts")
    if plan.has_manager:
        contract.managers.add(users["manager"])
    periods = contract.reporting_periods()
    statuses = _period_statuses(plan, periods, today)
    deliveries = _Deliveries(plan, periods, statuses, rng)
    guards: list[tuple[ClauseTerms, Fraction]] = []
    for clause_plan in plan.clauses:
        clause_start = add_months(start.replace(day=1), clause_plan.starts_after_months)
        clause_start = max(clause_start, start)
        clause = SocialClause.objects.create(
            contract=contract,
            metric=clause_plan.metric,
            target=Decimal(clause_plan.target),
            start_date=clause_start,
            due_date=end,
            min_placement_weeks=Decimal(clause_plan.min_weeks),
            tolerance_pct=Decimal(clause_plan.tolerance),
            penalty_per_unit_sek=Decimal(clause_plan.penalty),
            text=clause_plan.text,
        )
        clause.target_groups.set([groups[code] for code in clause_plan.groups])
        milestones = [
            ClauseMilestone(
                clause=clause,
                date=add_months(clause_start, months) - timedelta(days=1),
                cumulative_target=Decimal(cumulative),
            )
            for months, cumulative in clause_plan.milestones
        ]
        ClauseMilestone.objects.bulk_create(milestones)
        result.count("clauses")
        terms = ClauseTerms(
            metric=clause.metric,
            target=clause.target,
            start_date=clause.start_date,
            due_date=clause.due_date,
            min_placement_weeks=clause.min_placement_weeks,
            tolerance_pct=clause.tolerance_pct,
            penalty_per_unit_sek=clause.penalty_per_unit_sek,
            target_groups=frozenset(clause_plan.groups),
            milestones=tuple((m.date, m.cumulative_target) for m in milestones),
        )
        guard = _deliver(deliveries, terms, clause_plan.aim, today, guards)
        if guard:
            guards.append(guard)
    _save_reports(contract, periods, statuses, deliveries, users, groups, rng, result)


def _save_reports(contract, periods, statuses, deliveries, users, groups, rng, result) -> None:
    contractor_user = users["entreprenor1" if contract.contractor_id == users[
        "entreprenor1"].contractor_membership.contractor_id else "entreprenor2"]  # fmt: skip
    rows_by_period: dict[int, list[tuple[RowDates, str]]] = {}
    for rows in deliveries.participants:
        for period_index, row, group in rows:
            rows_by_period.setdefault(period_index, []).append((row, group))
    for index, report_statuses in statuses.items():
        period = periods[index]
        for status in report_statuses:
            reviewed = status in (ReportStatus.APPROVED, ReportStatus.REJECTED)
            submitted_on = period.due_date - timedelta(days=rng.randint(0, 9))
            report = PlacementReport.objects.create(
                contract=contract,
                period_start=period.start,
                period_end=period.end,
                status=status,
                submitted_by=None if status == ReportStatus.DRAFT else contractor_user,
                submitted_at=None if status == ReportStatus.DRAFT else _aware(submitted_on),
                reviewed_by=users["officer"] if reviewed else None,
                reviewed_at=_aware(submitted_on + timedelta(days=rng.randint(2, 12)))
                if reviewed
                else None,
                review_comment=rng.choice(REJECT_COMMENTS)
                if status == ReportStatus.REJECTED
                else "",
            )
            result.count("reports")
            rows = rows_by_period.get(index, [])
            problems = row_errors(report, [row for row, _group in rows])
            if problems:  # the generator must only ever make valid data
                raise AssertionError(f"demo rows for {report} are invalid: {problems}")
            PlacementRow.objects.bulk_create(
                PlacementRow(
                    report=report,
                    participant_ref=row.participant_ref,
                    target_group=groups[group],
                    start_date=row.start_date,
                    end_date=row.end_date,
                    hours=row.hours,
                    role=rng.choice(ROLES) or "",
                )
                for row, group in rows
            )
            result.count("rows", len(rows))
    if contract.reference == CORRECTED_CONTRACT:
        _correct_first_approved(contract, contractor_user, users["officer"], result)


#: The demo contract whose first approved report was corrected (issue 6: every version kept).
CORRECTED_CONTRACT = "K-2024-105"


def _correct_first_approved(contract, contractor_user, officer, result) -> None:
    """An approved report corrected afterwards: the role of one row was wrong. The correction is
    approved, so the first version is kept as superseded (the figures do not change)."""
    original = (
        PlacementReport.objects.filter(contract=contract, status=ReportStatus.APPROVED)
        .order_by("period_start")
        .first()
    )
    if original is None or not original.rows.exists():
        return
    original.status = ReportStatus.SUPERSEDED
    original.save(update_fields=["status"])
    reviewed = original.reviewed_at + timedelta(days=20)
    correction = PlacementReport.objects.create(
        contract=contract,
        period_start=original.period_start,
        period_end=original.period_end,
        status=ReportStatus.APPROVED,
        corrects=original,
        correction_reason="Fel yrkesroll angavs för en deltagare.",
        submitted_by=contractor_user,
        submitted_at=reviewed - timedelta(days=3),
        reviewed_by=officer,
        reviewed_at=reviewed,
    )
    rows = list(original.rows.order_by("id"))
    PlacementRow.objects.bulk_create(
        PlacementRow(
            report=correction,
            participant_ref=row.participant_ref,
            target_group_id=row.target_group_id,
            start_date=row.start_date,
            end_date=row.end_date,
            hours=row.hours,
            role="Träarbetare" if index == 0 else row.role,
            notes=row.notes,
        )
        for index, row in enumerate(rows)
    )
    result.count("reports")
    result.count("rows", len(rows))


def seed_demo(
    *,
    password: str = DEFAULT_PASSWORD,
    today: date | None = None,
    seed: int = 2019,
    progress: Callable[[Iterable, int, str], Iterable] | None = None,
) -> SeedResult:
    """Create the demo data set; objects that already exist (by reference) are left as they are."""
    today = today or timezone.localdate()
    result = SeedResult()
    with transaction.atomic():
        contractors = []
        for name, body, email in CONTRACTORS:
            contractor, created = Contractor.objects.get_or_create(
                org_number=f"{body[:6]}-{body[6:]}{luhn_check_digit(body)}",
                defaults={"name": name, "contact_email": email},
            )
            result.count("contractors", int(created))
            contractors.append(contractor)
        users = ensure_users(password, contractors, result)
        procurements = []
        for reference, title, description, months_ago in PROCUREMENTS:
            procurement, created = Procurement.objects.get_or_create(
                reference=reference,
                defaults={
                    "title": title,
                    "description": description,
                    "officer": users["officer"],
                    "status": Procurement.Status.AWARDED,
                    "awarded_on": add_months(today.replace(day=1), -months_ago),
                },
            )
            result.count("procurements", int(created))
            procurements.append(procurement)
        groups = {group.code: group for group in TargetGroup.objects.all()}
        existing = set(Contract.objects.values_list("reference", flat=True))
        plans = [plan for plan in CONTRACT_PLANS if plan.reference not in existing]
        iterate = progress(plans, len(plans), "contracts") if progress else plans
        for plan in iterate:
            _save_contract(
                plan,
                today=today,
                # One generator per contract: adding a contract later leaves the others unchanged.
                rng=random.Random(f"{seed}-{plan.reference}"),  # noqa: S311 - demo data
                procurements=procurements,
                contractors=contractors,
                users=users,
                groups=groups,
                result=result,
            )
        if plans:
            _history(today, result)
        _matching(password, today, contractors, result)
    return result


def _matching(password: str, today: date, contractors: list[Contractor], result) -> None:
    """The municipality's labour-market unit serves the first contractor's first contract: it
    has confirmed the rows of reports sent more than two weeks ago (the later ones wait for it)
    and referred two candidates, one accepted and one waiting for the contractor's answer."""
    from internships.choices import ReferralStatus, Verification
    from internships.models import Referral
    from procurement.models import LabourMarketUnit, LabourMarketUnitMembership

    unit, created = LabourMarketUnit.objects.get_or_create(
        name="Arbetsmarknadsenheten, Jönköpings kommun",
        defaults={"contact_email": "matchning@example.se"},
    )
    if not created:
        return
    matcher, made = User.objects.get_or_create(
        username="matchare",
        defaults={"first_name": "Maja", "last_name": "Matchare", "email": "matchare@example.se"},
    )
    if made:
        result.count("users")
    matcher.set_password(password)
    matcher.save(update_fields=["password"])
    LabourMarketUnitMembership.objects.get_or_create(user=matcher, defaults={"unit": unit})
    contract = Contract.objects.filter(contractor=contractors[0]).order_by("reference").first()
    if contract is None:
        return
    contract.matcher = unit
    contract.save(update_fields=["matcher"])
    PlacementRow.objects.filter(
        report__contract=contract,
        report__status__in=[ReportStatus.SUBMITTED, ReportStatus.APPROVED],
        report__submitted_at__lt=_aware(today - timedelta(days=14)),
    ).update(verification=Verification.CONFIRMED, verified_by=matcher, verified_at=_aware(today))
    youth = TargetGroup.objects.get(code="youth")
    for number, status in ((1, ReferralStatus.ACCEPTED), (2, ReferralStatus.PROPOSED)):
        Referral.objects.create(
            contract=contract,
            unit=unit,
            referred_by=matcher,
            participant_ref=f"AME-{today.year}-{number:03d}",
            target_group=youth,
            proposed_start=today + timedelta(days=14 * number),
            status=status,
        )


def _history(today: date, result: SeedResult) -> None:
    """Month-end snapshots of the past two years, so trend charts have a history to draw."""
    from contracts.selectors import evaluate_clauses
    from contracts.services import snapshots_upsert

    month_end = today.replace(day=1) - timedelta(days=1)
    for _month in range(24):
        evaluations = evaluate_clauses(as_of=month_end)
        result.count("snapshots", snapshots_upsert(evaluations=evaluations, on=month_end))
        month_end = month_end.replace(day=1) - timedelta(days=1)
