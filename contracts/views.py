"""The managers' dashboard (/dashboard/), for officers and managers (DESIGN.md §7)."""

from __future__ import annotations

from datetime import date
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import charts
from core.roles import sees_everything

from . import annual_output
from . import dashboard as selectors
from .annual import annual_report
from .choices import AlertState, ClauseStatus
from .compliance import forecast_short
from .forms import DashboardFilterForm
from .selectors import alert_list, contract_list
from .services import AlertStateError, alert_acknowledge
from .services import alert_close as alert_close_service

ATTENTION = (ClauseStatus.BREACHED, ClauseStatus.BEHIND, ClauseStatus.AT_RISK)


def staff_required(view):
    """Logged in as an officer, a manager or a superuser; anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not sees_everything(request.user):
            raise PermissionDenied(_("The dashboard is for officers and managers."))
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """Key figures, charts and open alerts for a year, a district and a contractor."""
    today = timezone.localdate()
    everything = contract_list(user=request.user)
    first = everything.aggregate(first=Min("start_date"))["first"]
    years = list(range(first.year if first else today.year, today.year + 1))
    clauses = selectors.clause_choices(everything)
    form = DashboardFilterForm(request.GET or None, years=years, clauses=clauses)
    filters = form.cleaned_data if form.is_valid() else {}
    year = filters.get("year") or today.year
    district, contractor = filters.get("district"), filters.get("contractor")
    contracts = selectors.dashboard_contracts(
        everything,
        year=year,
        district_id=district.pk if district else None,
        contractor_id=contractor.pk if contractor else None,
    )
    board = selectors.dashboard_build(
        user=request.user, contracts=contracts, year=year, today=today
    )

    # The history chart: the clause asked for, else the first that needs attention.
    wanted = filters.get("clause")
    picked = next((item for item in board.evaluations if item.clause.id == wanted), None)
    picked = picked or next(
        (item for item in board.evaluations if item.evaluation.status in ATTENTION),
        board.evaluations[0] if board.evaluations else None,
    )
    history_chart = history_legend = None
    history = None
    if picked is not None:
        clause = get_object_or_404(
            selectors.SocialClause.objects.select_related("contract"), pk=picked.clause.id
        )
        history = selectors.clause_history(clause, start=date(year, 1, 1), end=board.as_of)
        points = list(history.points)
        if not points or points[-1][0] < board.as_of:  # today's figures, evaluated live
            e = picked.evaluation
            points.append((board.as_of, e.expected, e.reported, e.verified))
        series = [
            charts.Series(_("Expected"), [(day, exp) for day, exp, _rep, _ver in points]),
            charts.Series(_("Reported"), [(day, rep) for day, _exp, rep, _ver in points]),
            charts.Series(_("Approved"), [(day, ver) for day, _exp, _rep, ver in points]),
        ]
        title = _("Delivered against expected over time: %(clause)s") % {
            "clause": f"{clause.contract.reference} · {clause.get_metric_display()}"
        }
        history_chart = charts.line_chart(
            series,
            title=title,
            description=_("Expected, reported and approved totals from the daily snapshots."),
        )
        history_legend = charts.legend(series)
        history = (title, points)

    query = {
        key: value
        for key, value in {
            "as_of": board.as_of.isoformat(),
            "district": district.pk if district else "",
            "contractor": contractor.pk if contractor else "",
        }.items()
        if value
    }
    compliance_url = reverse("compliance-list")
    context = {
        "form": form,
        "board": board,
        "district": district,
        "contractor": contractor,
        # Behind in some way, or on course today but short of the target at the pace so far.
        "attention": [
            item
            for item in board.evaluations
            if item.evaluation.status in ATTENTION or forecast_short(item.evaluation)
        ],
        "history_chart": history_chart,
        "history_legend": history_legend,
        "history": history,
        "district_chart": charts.bar_chart(
            board.by_district,
            title=_("Participants by district, %(year)s") % {"year": year},
            description=_("Distinct participants in submitted and approved reports."),
        ),
        "group_chart": charts.bar_chart(
            board.by_target_group,
            title=_("Participants by target group, %(year)s") % {"year": year},
            description=_("Distinct participants in submitted and approved reports."),
        ),
        "ranking_chart": charts.bar_chart(
            [(r.contractor, r.share) for r in board.rankings],
            title=_("Contractors by share of clauses on course (%)"),
            description=_("Clauses met or on track, of the clauses that have started."),
        ),
        "export_csv": f"{compliance_url}?{urlencode({**query, 'format': 'csv'})}",
        "export_xlsx": f"{compliance_url}?{urlencode({**query, 'format': 'xlsx'})}",
        "export_rows": f"{reverse('compliance-rows')}?{urlencode({'format': 'xlsx'})}",
    }
    return render(request, "dashboard/index.html", context)


@staff_required
@require_POST
def alert_ack(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Acknowledge an open alert, then go back to where the button was."""
    alert = get_object_or_404(alert_list(user=request.user), pk=alert_id)
    if alert.state == AlertState.OPEN:
        alert_acknowledge(alert=alert, user=request.user)
        messages.success(request, _("The alert is acknowledged."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("dashboard:index")
    return redirect(target)


@staff_required
@require_POST
def alert_close(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Close a clause breached alert with the officer's comment, then go back."""
    alert = get_object_or_404(alert_list(user=request.user), pk=alert_id)
    try:
        alert_close_service(alert=alert, user=request.user, comment=request.POST.get("comment", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except AlertStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The alert is closed."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("dashboard:index")
    return redirect(target)


def _report_year(year: int) -> int:
    """A year that has a report: from 2000 up to the current year."""
    if not 2000 <= year <= timezone.localdate().year:
        raise Http404(_("There is no report for that year."))
    return year


@staff_required
def annual_latest(request: HttpRequest) -> HttpResponse:
    """The report of the last whole year."""
    return redirect("dashboard:annual", year=timezone.localdate().year - 1)


@staff_required
def annual(request: HttpRequest, year: int) -> HttpResponse:
    """The annual integration report for ``year`` (issue 7) as a page."""
    year = _report_year(year)
    report = annual_report(year=year)
    this_year = timezone.localdate().year
    context = annual_output.context(report) | {
        "previous_year": year - 1,
        "next_year": year + 1,
        "previous_url": reverse("dashboard:annual", args=[year - 1]) if year > 2000 else None,
        "next_url": reverse("dashboard:annual", args=[year + 1]) if year < this_year else None,
        "xlsx_url": reverse("dashboard:annual-file", args=[year, "xlsx"]),
        "pdf_url": reverse("dashboard:annual-file", args=[year, "pdf"]),
    }
    return render(request, "dashboard/annual.html", context)


@staff_required
def annual_file(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    """The annual report as a download: XLSX, PDF or a standalone printable HTML page."""
    year = _report_year(year)
    if fmt not in annual_output.FILES:
        raise Http404(_("Unknown file format."))
    content_type, render_file = annual_output.FILES[fmt]
    try:
        body = render_file(annual_report(year=year))
    except annual_output.PdfUnavailable as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=content_type)
    name = _("integration-report-%(year)s") % {"year": year}
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
