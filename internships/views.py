"""The contractor portal (/portal/): my contracts, where each clause stands, the reporting
schedule, report forms and file upload (docs/API.md).

Views only check input and call selectors and services; what a user may see comes from the same
scoped selectors as the API (``contract_list(user=…)``, ``report_list(user=…)``), so another
contractor's contract or report is a 404.
"""

from __future__ import annotations

from collections import defaultdict
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from contracts.overview import contract_overviews
from contracts.selectors import contract_list
from core.roles import writes_reports

from . import importing, services
from .choices import EDITABLE_STATUSES, ReportStatus
from .counting import period_report
from .forms import (
    CorrectionForm,
    ReportErrors,
    RowFormSet,
    UploadForm,
    formset_with_extra_row,
    parse_period,
    period_label,
    replacement_question,
    report_rows_check,
    report_save_from_forms,
    row_error_list,
    row_initial,
)
from .models import PlacementReport, PlacementRow
from .selectors import report_list, report_versions, reports_to_fix

#: The portal's start page lists this many reports due before "show all".
DUE_LIMIT = 20


def contractor_required(view):
    """Logged in and a contractor user (or a superuser); anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not writes_reports(request.user):
            raise PermissionDenied(_("The portal is for contractor users."))
        return view(request, *args, **kwargs)

    return wrapper


def _overview(request: HttpRequest, contract_id: int):
    contracts = contract_list(user=request.user).filter(pk=contract_id)
    overviews = contract_overviews(contracts, as_of=timezone.localdate())
    if not overviews:
        raise Http404
    return overviews[0]


def _reports_by_period(contract_id: int, user) -> dict:
    """The version of each period the contractor sees and works on: the one that stands for it,
    or a correction in progress (:func:`internships.counting.period_report`)."""
    reports = report_list(user=user).filter(contract_id=contract_id).order_by("created_at", "id")
    by_period: dict = defaultdict(list)
    for report in reports:
        by_period[report.period_start].append(report)
    return {
        period_start: period_report(versions, with_pending_correction=True)
        for period_start, versions in by_period.items()
    }


@contractor_required
def index(request: HttpRequest) -> HttpResponse:
    """My contracts, their clauses and what is due."""
    overviews = contract_overviews(contract_list(user=request.user), as_of=timezone.localdate())
    due = [(overview.contract, entry) for overview in overviews for entry in overview.open_periods]
    due.sort(key=lambda item: item[1].due_date)
    rejected = list(reports_to_fix(user=request.user))
    # A contractor with many contracts has many periods due: the longest overdue come first,
    # the rest behind a "show all" link.
    due_count = len(due)
    if request.GET.get("due") != "all":
        due = due[:DUE_LIMIT]
    return render(
        request,
        "portal/index.html",
        {"overviews": overviews, "due": due, "due_count": due_count, "rejected": rejected},
    )


@contractor_required
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    """One contract: clauses with progress, the reporting schedule and its reports."""
    overview = _overview(request, contract_id)
    reports = _reports_by_period(contract_id, request.user)
    periods = [
        (entry, reports.get(entry.period_start))
        for entry in reversed(overview.schedule)
        if entry.period_start <= timezone.localdate() or reports.get(entry.period_start)
    ]
    return render(request, "portal/contract.html", {"overview": overview, "periods": periods})


def _editable_period(overview, period_start: str | None, user):
    entry = parse_period(period_start, overview.schedule)
    if entry is None:
        return None, None
    report = _reports_by_period(overview.contract.pk, user).get(entry.period_start)
    return entry, report


def referral_rows(*, contract_id: int, period, known: set[str]) -> list[PlacementRow]:
    """Unsaved rows for the accepted referrals of the contract that start by the end of the
    period and that no row holds yet (nor one already on the form)."""
    from matching.services import referrals_to_prefill

    return [
        PlacementRow(
            participant_ref=referral.participant_ref,
            target_group=referral.target_group,
            employment_type=referral.employment_type,
            start_date=max(referral.proposed_start, period.period_start),
            end_date=period.period_end,
            hours=None,
        )
        for referral in referrals_to_prefill(contract_id=contract_id, period_end=period.period_end)
        if referral.participant_ref not in known
    ]


@contractor_required
@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, contract_id: int, period: str) -> HttpResponse:
    """Type a draft report for one period: a row per placement (add and remove rows)."""
    overview = _overview(request, contract_id)
    entry, report = _editable_period(overview, period, request.user)
    if entry is None:
        messages.error(request, _("That is not one of the contract's reporting periods."))
        return redirect("portal:contract", contract_id=contract_id)
    if report is not None and report.status not in EDITABLE_STATUSES:
        messages.info(request, _("This period's report has been sent and can no longer be edited."))
        return redirect("portal:report", report_id=report.pk)
    general: list[str] = []
    if request.method == "POST" and "add_row" in request.POST:
        # One more row; what was typed comes back, checked, with every message on its row.
        formset = formset_with_extra_row(request.POST)
        _serializer, general = report_rows_check(
            formset=formset,
            contract=overview.contract,
            period=entry,
            report=report,
            user=request.user,
        )
    elif request.method == "POST":
        formset = RowFormSet(data=request.POST, prefix="rows")
        try:
            saved = report_save_from_forms(
                formset=formset,
                contract=overview.contract,
                period=entry,
                report=report,
                user=request.user,
            )
        except ReportErrors as refused:
            general = refused.messages
        else:
            messages.success(request, _("The draft is saved. Submit it when it is complete."))
            return redirect("portal:report", report_id=saved.pk)
    else:
        rows = (
            list(report.rows.select_related("target_group").order_by("start_date", "id"))
            if report
            else []
        )
        # Candidates the contractor accepted from the matching organisation: a row each,
        # pre-filled, to complete (hours) or remove. Saving links the referral to its row.
        rows += referral_rows(
            contract_id=contract_id, period=entry, known={row.participant_ref for row in rows}
        )
        formset = RowFormSet(initial=row_initial(rows), prefix="rows")
    return render(
        request,
        "portal/report_form.html",
        {
            "overview": overview,
            "entry": entry,
            "period_label": period_label(entry),
            "report": report,
            "formset": formset,
            "general_errors": general,
            "row_errors": row_error_list(formset),
            "saving": "add_row" not in request.POST,
        },
    )


@contractor_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Upload a CSV or XLSX file for a period. Every problem is listed, row by row, before
    anything is saved; a clean file becomes a draft (or replaces the draft's rows)."""
    overview = _overview(request, contract_id)
    reports = _reports_by_period(contract_id, request.user)
    today = timezone.localdate()
    periods = [
        entry
        for entry in reversed(overview.schedule)
        if entry.period_start <= today
        and (
            reports.get(entry.period_start) is None
            or reports[entry.period_start].status in EDITABLE_STATUSES
        )
    ]
    problems: list[importing.Problem] = []
    pending: importing.PendingReplacement | None = None
    if request.method == "POST" and "pending" in request.POST:
        # The answer to "replace the draft's rows?" (asked below).
        entry = parse_period(request.POST.get("period"), periods)
        into = reports.get(entry.period_start) if entry else None
        if request.POST.get("confirm") != "replace":
            messages.info(request, _("Nothing was changed: the draft keeps its rows."))
            if into is not None:
                return redirect("portal:report", report_id=into.pk)
            return redirect("portal:contract", contract_id=contract_id)
        try:
            report = importing.import_confirmed(
                token=request.POST["pending"], user=request.user, into=into
            )
        except importing.ConfirmReplacement as asked:
            pending = asked.pending  # the draft changed meanwhile: ask again, with its counts
        except importing.ImportRefused as refused:
            problems = refused.problems
        except services.TransitionError as error:
            problems = [importing.Problem(None, None, str(error))]
        else:
            return _imported(request, report)
        form = UploadForm(
            periods=periods, initial={"period": entry.period_start.isoformat()} if entry else None
        )
    elif request.method == "POST":
        form = UploadForm(request.POST, request.FILES, periods=periods)
        if form.is_valid():
            entry = form.cleaned_data["period"]
            try:
                report = importing.import_into_draft(
                    data={
                        "file": form.cleaned_data["file"],
                        "contract": overview.contract.pk,
                        "period_start": entry.period_start.isoformat(),
                        "period_end": entry.period_end.isoformat(),
                    },
                    user=request.user,
                    into=reports.get(entry.period_start),
                )
            except importing.ConfirmReplacement as asked:
                pending = asked.pending
            except importing.ImportRefused as refused:
                problems = refused.problems
            except services.TransitionError as error:
                problems = [importing.Problem(None, None, str(error))]
            else:
                return _imported(request, report)
    else:
        chosen = request.GET.get("period")
        form = UploadForm(periods=periods, initial={"period": chosen} if chosen else None)
    template_url = reverse("report-import-template")
    return render(
        request,
        "portal/upload.html",
        {
            "overview": overview,
            "form": form,
            "problems": problems,
            "pending": pending,
            "pending_question": replacement_question(pending) if pending else "",
            "template_url": template_url,
            "has_periods": bool(periods),
        },
    )


def _imported(request: HttpRequest, report: PlacementReport) -> HttpResponse:
    count = report.rows.count()
    messages.success(
        request,
        ngettext(
            "%(count)d row was read from the file and saved as a draft. Check it, then submit.",
            "%(count)d rows were read from the file and saved as a draft. Check them, then submit.",
            count,
        )
        % {"count": count},
    )
    return redirect("portal:report", report_id=report.pk)


def _report(request: HttpRequest, report_id: int) -> PlacementReport:
    return get_object_or_404(report_list(user=request.user), pk=report_id)


@contractor_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """A report with its rows, its status, the officer's comment and every version."""
    report = _report(request, report_id)
    versions = report_versions(report)
    # An approved report can be corrected unless a correction of it is in progress (which
    # would then be the version being worked on).
    correctable = (
        report.status == ReportStatus.APPROVED
        and period_report(versions, with_pending_correction=True) == report
    )
    return render(
        request,
        "portal/report.html",
        {
            "report": report,
            "rows": report.rows.all(),
            "editable": report.status in EDITABLE_STATUSES,
            "correctable": correctable,
            "versions": versions if len(versions) > 1 else [],
        },
    )


@contractor_required
@require_http_methods(["GET", "POST"])
def report_correct(request: HttpRequest, report_id: int) -> HttpResponse:
    """Start a correction of an approved report: say why, then edit the copied rows."""
    report = _report(request, report_id)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            correction = services.report_correct(
                report=report, user=request.user, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, services.TransitionError) as error:
            for message in getattr(error, "messages", [str(error)]):
                messages.error(request, message)
            return redirect("portal:report", report_id=report.pk)
        messages.success(
            request, _("A correction has been started. Change the rows, then submit it.")
        )
        return redirect(
            "portal:report-edit",
            contract_id=correction.contract_id,
            period=correction.period_start.isoformat(),
        )
    return render(request, "portal/report_correct.html", {"report": report, "form": form})


@contractor_required
@require_http_methods(["GET", "POST"])
def report_submit(request: HttpRequest, report_id: int) -> HttpResponse:
    """Confirm, then send the report for review."""
    report = _report(request, report_id)
    if request.method == "POST":
        try:
            services.report_submit(report=report, user=request.user)
        except (ValidationError, services.TransitionError) as error:
            for message in getattr(error, "messages", [str(error)]):
                messages.error(request, message)
        else:
            messages.success(request, _("The report has been submitted for review. Thank you!"))
        return redirect("portal:report", report_id=report.pk)
    return render(
        request, "portal/report_submit.html", {"report": report, "rows": report.rows.all()}
    )


@contractor_required
@require_http_methods(["GET", "POST"])
def report_delete(request: HttpRequest, report_id: int) -> HttpResponse:
    """Confirm, then discard a draft."""
    report = _report(request, report_id)
    contract_id = report.contract_id
    if request.method == "POST":
        try:
            services.report_delete(report=report, user=request.user)
        except services.TransitionError as error:
            messages.error(request, str(error))
            return redirect("portal:report", report_id=report.pk)
        messages.success(request, _("The draft has been deleted."))
        return redirect("portal:contract", contract_id=contract_id)
    return render(request, "portal/report_delete.html", {"report": report})
