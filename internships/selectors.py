"""Reads of the internships app, scoped to what a user may see (docs/RULES.md §6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from contracts.compliance import (
    Evaluation,
    RowFact,
    RowReason,
    RowVerdict,
    round_half_up,
    row_verdicts,
)
from contracts.models import Contract
from contracts.selectors import contract_list, of_visible_contracts
from core.roles import is_contractor_user, is_matcher, sees_everything

from .choices import BornAbroad, Gender, ReportStatus
from .counting import REPORTED, statuses_on_approval
from .models import PlacementReport, PlacementRow

#: The target group whose rows count as foreign-born women when a row tells neither its gender
#: nor whether the person was born abroad (docs/RULES.md, the Swedish model).
FOREIGN_BORN_WOMEN = "foreign_born_women"


def is_foreign_born_woman(gender: str, born_abroad: str, target_group_code: str | None) -> bool:
    """Does a row with these facts count as a foreign-born woman? The one definition
    (docs/RULES.md): ``gender = woman`` and ``born_abroad = yes``; where neither is told (both
    ``undisclosed``), a row of the target group ``foreign_born_women`` counts as one."""
    if gender == Gender.WOMAN and born_abroad == BornAbroad.YES:
        return True
    return (
        gender == Gender.UNDISCLOSED
        and born_abroad == BornAbroad.UNDISCLOSED
        and target_group_code == FOREIGN_BORN_WOMEN
    )


def foreign_born_women_q(prefix: str = "") -> Q:
    """:func:`is_foreign_born_woman` as a filter on rows (``prefix`` reaches them from another
    model, e.g. ``"rows__"`` from a report)."""
    return Q(**{f"{prefix}gender": Gender.WOMAN, f"{prefix}born_abroad": BornAbroad.YES}) | Q(
        **{
            f"{prefix}gender": Gender.UNDISCLOSED,
            f"{prefix}born_abroad": BornAbroad.UNDISCLOSED,
            f"{prefix}target_group__code": FOREIGN_BORN_WOMEN,
        }
    )


def foreign_born_women_sql(alias: str, group_param: str) -> str:
    """:func:`is_foreign_born_woman` as an SQL condition on the row table aliased ``alias``;
    ``group_param`` names the query parameter holding the id of the target group
    ``foreign_born_women`` (``None`` when there is none). Codes are our own constants."""
    woman, yes, untold = (
        Gender.WOMAN.value,
        BornAbroad.YES.value,
        Gender.UNDISCLOSED.value,
    )
    if BornAbroad.UNDISCLOSED.value != untold or not all(
        code.isidentifier() for code in (woman, yes, untold)
    ):  # never happens; guards the literals below
        raise ValueError("unexpected codes")
    return (
        f"(({alias}.gender = '{woman}' AND {alias}.born_abroad = '{yes}')"
        f" OR ({alias}.gender = '{untold}' AND {alias}.born_abroad = '{untold}'"
        f" AND {alias}.target_group_id = %({group_param})s))"
    )


#: The reports a matcher sees: those sent in (never a draft, nor one sent back).
MATCHER_REPORT_STATUSES = (
    ReportStatus.SUBMITTED,
    ReportStatus.APPROVED,
    ReportStatus.SUPERSEDED,
)


def report_list(*, user) -> QuerySet[PlacementReport]:
    """Reports of the contracts ``user`` may see, with their rows. A matcher sees only the
    submitted, approved and superseded reports of the contracts its unit serves."""
    reports = of_visible_contracts(PlacementReport.objects.all(), user=user)
    # Staff first: its groups are cached on the user; a matcher's membership costs a query.
    if not sees_everything(user) and not is_contractor_user(user) and is_matcher(user):
        reports = reports.filter(status__in=MATCHER_REPORT_STATUSES)
    return (
        reports.select_related("contract")
        .prefetch_related(report_rows_prefetch())
        .order_by("contract__reference", "period_start", "id")
    )


def report_rows_prefetch() -> Prefetch:
    """A report's rows as the API and the portal show them, with their target groups."""
    return Prefetch(
        "rows",
        queryset=PlacementRow.objects.select_related("target_group", "home_district").order_by(
            "participant_ref", "start_date", "id"
        ),
    )


def reports_to_fix(*, user) -> QuerySet[PlacementReport]:
    """Rejected reports (and rejected corrections) the contractor has not yet acted on: no later
    version of that contract and period exists. Oldest first, with the officer's comment."""
    later = PlacementReport.objects.filter(
        contract_id=OuterRef("contract_id"),
        period_start=OuterRef("period_start"),
        pk__gt=OuterRef("pk"),
    )
    return (
        PlacementReport.objects.filter(
            contract__in=contract_list(user=user).values("id"), status=ReportStatus.REJECTED
        )
        .filter(~Exists(later))
        .select_related("contract", "reviewed_by")
        .order_by("period_start", "contract__reference", "id")
    )


def reports_waiting_for_review() -> QuerySet[PlacementReport]:
    """Every submitted report or correction, the one that has waited longest first (the
    officers' work queue and the review page's "next report to review")."""
    return PlacementReport.objects.filter(status=ReportStatus.SUBMITTED).order_by(
        "submitted_at", "id"
    )


def report_next_to_review(*, after: PlacementReport | None = None) -> PlacementReport | None:
    """The submitted report that has waited longest for review (other than ``after``)."""
    waiting = reports_waiting_for_review().select_related("contract")
    if after is not None:
        waiting = waiting.exclude(pk=after.pk)
    return waiting.first()


@dataclass(frozen=True)
class ClauseEffect:
    """What one report changes for one clause: the clause without the report and with it
    approved."""

    clause_id: int
    metric: str
    without: Evaluation
    approved: Evaluation


def report_effect(report: PlacementReport, *, as_of: date) -> list[ClauseEffect]:
    """The effect of ``report`` on each clause of its contract, for an officer's review.

    The compliance rules live in one place (:func:`contracts.selectors.evaluate_clauses`, in SQL
    and :mod:`contracts.compliance`); rather than re-implement them for a what-if, each case is
    evaluated inside a savepoint where the report's status is set as the case needs, and rolled
    back. Nothing is written.
    """
    from contracts.selectors import evaluate_clauses

    contracts = Contract.objects.filter(pk=report.contract_id)

    def evaluate_as(statuses: dict[int, str]) -> dict[int, Evaluation]:
        with transaction.atomic():
            for report_id, status in statuses.items():
                PlacementReport.objects.filter(pk=report_id).update(status=status)
            evaluations = {
                item.clause.id: item.evaluation
                for item in evaluate_clauses(as_of=as_of, contracts=contracts)
            }
            transaction.set_rollback(True)
        return evaluations

    # Without: as a draft, which never counts (a correction's original keeps counting).
    without = evaluate_as({report.pk: ReportStatus.DRAFT})
    approved = evaluate_as(statuses_on_approval(report.pk, report.corrects_id))
    return [
        ClauseEffect(clause_id, approved[clause_id].metric, without[clause_id], approved[clause_id])
        for clause_id in sorted(approved)
    ]


def report_versions(report: PlacementReport) -> list[PlacementReport]:
    """Every version of ``report``'s period that belongs to its chain of corrections, oldest
    first: the first report and each correction."""
    chain = PlacementReport.objects.filter(
        contract_id=report.contract_id, period_start=report.period_start
    ).select_related("submitted_by", "reviewed_by")
    return list(chain.order_by("created_at", "id"))


@dataclass(frozen=True)
class ClauseRowVerdict:
    """Whether a row counts towards one clause, in words (:func:`verdict_text`)."""

    clause: str
    counts: bool
    text: str


@dataclass(frozen=True)
class RowWithVerdicts:
    """A report's row and, per clause of its contract, whether it counts and why not."""

    row: PlacementRow
    verdicts: list[ClauseRowVerdict]


def verdict_text(verdict: RowVerdict, *, status: str = "", is_correction: bool = False) -> str:
    """Why a row counts or not, in the user's language (``status`` is the row's report's)."""
    if verdict.reason in (RowReason.COUNTS, RowReason.PARTLY) and verdict.ended_early:
        return _(
            "counts: %(weeks)s of the minimum %(minimum)s weeks, at least 75 %%, and the "
            "participant ended the job"
        ) % {
            "minimum": number_format(verdict.min_weeks.normalize(), use_l10n=True),
            "weeks": number_format(round_half_up(verdict.weeks, 1), decimal_pos=1, use_l10n=True),
        }
    if verdict.reason == RowReason.COUNTS:
        return _("counts")
    if verdict.reason == RowReason.PARTLY:
        return _(
            "counts %(days)s of its %(total)s days (the rest is outside the clause window)"
        ) % {
            "days": verdict.days,
            "total": verdict.row_days,
        }
    if verdict.reason == RowReason.BELOW_MINIMUM:
        return _("under the minimum of %(minimum)s weeks so far: %(weeks)s") % {
            "minimum": number_format(verdict.min_weeks.normalize(), use_l10n=True),
            "weeks": number_format(round_half_up(verdict.weeks, 1), decimal_pos=1, use_l10n=True),
        }
    if verdict.reason == RowReason.EMPLOYMENT_TYPE:
        return _("employment type not in the clause")
    if verdict.reason == RowReason.DISPUTED:
        return _("disputed by the matching organisation")
    if verdict.reason == RowReason.NOT_CONFIRMED:
        return _("not confirmed by the matching organisation")
    if verdict.reason == RowReason.OUTSIDE_WINDOW:
        return _("outside the clause window")
    if verdict.reason == RowReason.TARGET_GROUP:
        return _("target group not in the clause")
    if is_correction and status in (ReportStatus.DRAFT, ReportStatus.SUBMITTED):
        return _("report not counted (a correction counts once approved)")
    return _("report not counted (%(status)s)") % {"status": ReportStatus(status).label}


def report_row_verdicts(
    report: PlacementReport, *, as_of: date, as_approved: bool = False
) -> list[RowWithVerdicts]:
    """Each row of ``report`` and, per clause of its contract, whether it counts as reported on
    ``as_of`` and why not (:func:`contracts.compliance.row_verdicts`).

    ``as_approved`` judges the report as if it were approved (a correction then supersedes the
    version it corrects), as the officer's review shows its effect. A fixed number of queries
    whatever the number of rows: the clauses, the facts of the rows that may count (plain
    tuples: a long contract's history is many rows) and this report's rows read whole.
    """
    from contracts.selectors import clause_terms, clauses_for_evaluation

    statuses = statuses_on_approval(report.pk, report.corrects_id) if as_approved else {}
    clauses = list(clauses_for_evaluation(Contract.objects.filter(pk=report.contract_id)))
    own: list[PlacementRow] = []
    facts: list[RowFact] = []
    positions: list[int] = []
    meta: list[tuple[str, bool]] = []
    # A row's verdict depends on its own facts and, for placements, on its participant's other
    # counted rows: the rows of this report's participants are all that is read.
    participants = PlacementRow.objects.filter(report_id=report.pk).values("participant_ref")
    rows = (
        PlacementRow.objects.filter(
            report__contract_id=report.contract_id, participant_ref__in=participants
        )
        .filter(REPORTED.q("report__") | Q(report_id__in=list(statuses) or [report.pk]))
        .order_by("start_date", "id")
        # Plain tuples: the participants' other rows are many (a long contract's history) and
        # only their facts are needed; this report's rows are read whole below.
        .values_list(
            "id",
            "report_id",
            "participant_ref",
            "target_group__code",
            "start_date",
            "end_date",
            "hours",
            "report__status",
            "report__corrects_id",
            "employment_type",
            "offered_on",
            "ended_by_participant",
            "verification",
        )
    )
    own_ids: list[int] = []
    for row_id, report_id, ref, group, start, end, hours, status_now, corrects, *more in rows:
        status = statuses.get(report_id, status_now)
        is_correction = corrects is not None
        facts.append(RowFact(ref, group, start, end, hours, status, is_correction, *more))
        if report_id == report.pk:
            own_ids.append(row_id)
            positions.append(len(facts) - 1)
            meta.append((status, is_correction))
    own_rows = PlacementRow.objects.select_related(
        "target_group", "verified_by", "home_district"
    ).in_bulk(own_ids)
    own = [own_rows[row_id] for row_id in own_ids]
    per_clause = [
        (
            str(clause.get_metric_display()).capitalize(),
            row_verdicts(clause_terms(clause), facts, as_of),
        )
        for clause in clauses
    ]
    return [
        RowWithVerdicts(
            row,
            [
                ClauseRowVerdict(
                    label,
                    verdicts[position].counts,
                    verdict_text(verdicts[position], status=status, is_correction=fix),
                )
                for label, verdicts in per_clause
            ],
        )
        for row, position, (status, fix) in zip(own, positions, meta, strict=True)
    ]
