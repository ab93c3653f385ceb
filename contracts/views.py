"""The managers' dashboard (/dashboard/), for officers and managers (docs/API.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import charts
from core.roles import sees_everything

from . import annual_output, caching
from . import dashboard as selectors
from .annual import annual_report
from .choices import AlertState, ClauseStatus, Metric
from .forms import ALL, DashboardFilterForm
from .models import Contract
from .selectors import alert_list, contract_list, evaluate_clauses
from .services import AlertStateError, alert_acknowledge
from .services import alert_close as alert_close_service

#: Where acknowledging an alert returns to on the dashboard: its list, not the top of the page.
ALERTS_ANCHOR = "alerts"


def staff_required(view):
    """Logged in as an officer, a manager or a superuser; anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not sees_everything(request.user):
            raise PermissionDenied(_("The dashboard is for officers and managers."))
        return view(request, *args, **kwargs)

    return wrapper


#: Rows of each long list on the dashboard; the rest are on the list's own paged page.
DASHBOARD_ROWS = 20
#: Rows per page of the paged lists ("show all").
PAGE_ROWS = 100
#: Clauses the clause search shows at most.
SEARCH_ROWS = 20


class _Filtered:
    """The dashboard's filters read from the query string, and what they select."""

    def __init__(self, request: HttpRequest) -> None:
        today = timezone.localdate()
        everything = contract_list(user=request.user)
        first = everything.aggregate(first=Min("start_date"))["first"]
        years = list(range(first.year if first else today.year, today.year + 1))
        self.form = DashboardFilterForm(request.GET or None, years=years)
        self.filters = self.form.cleaned_data if self.form.is_valid() else {}
        self.year = self.filters.get("year") or today.year
        self.district = self.filters.get("district")
        self.contractor = self.filters.get("contractor")
        self.status = self.filters.get("status") or ""
        self.metric = self.filters.get("metric") or ""
        self.page = self.filters.get("page") or 1
        self.contracts = selectors.dashboard_contracts(
            everything,
            year=self.year,
            district_id=self.district.pk if self.district else None,
            contractor_id=self.contractor.pk if self.contractor else None,
        )
        self.key = selectors.DashboardKey(
            year=self.year,
            district_id=self.district.pk if self.district else None,
            contractor_id=self.contractor.pk if self.contractor else None,
            today=today,
        )
        self.as_of = min(today, date(self.year, 12, 31))
        self.links = _DashboardLinks(
            year=self.year, district=self.district, contractor=self.contractor, as_of=self.as_of
        )


def _history(filtered: _Filtered, wanted: int | None, attention: selectors.Lines):
    """The history chart of the clause asked for, else the first that needs attention, else
    the first clause: (chart, legend, (title, points, clause)), or Nones."""
    clause = None
    if wanted:
        clause = (
            selectors.SocialClause.objects.select_related("contract")
            .filter(pk=wanted, contract__in=filtered.contracts.values("id"))
            .first()
        )
    if clause is None:
        first = (
            attention.rows
            or selectors.clause_lines(
                filtered.key, filtered.contracts, status=ALL, metric="", per_page=DASHBOARD_ROWS
            ).rows
        )
        if not first:
            return None, None, None
        clause = selectors.SocialClause.objects.select_related("contract").get(
            pk=first[0].clause_id
        )
    history = selectors.clause_history(clause, start=date(filtered.year, 1, 1), end=filtered.as_of)
    points = list(history.points)
    if not points or points[-1][0] < filtered.as_of:  # today's figures, evaluated live
        live = evaluate_clauses(
            as_of=filtered.as_of, contracts=Contract.objects.filter(pk=clause.contract_id)
        )
        e = next(item.evaluation for item in live if item.clause.id == clause.pk)
        points.append((filtered.as_of, e.expected, e.reported, e.verified))
    # A dialogue clause expects nothing: it has no line of expected figures.
    expected = [(day, exp) for day, exp, _rep, _ver in points if exp is not None]
    series = [
        *([charts.Series(_("Expected"), expected)] if expected else []),
        charts.Series(_("Reported"), [(day, rep) for day, _exp, rep, _ver in points]),
        charts.Series(_("Approved"), [(day, ver) for day, _exp, _rep, ver in points]),
    ]
    title = _("Delivered against expected over time: %(clause)s") % {
        "clause": f"{clause.contract.reference} · {clause.get_metric_display()}"
    }
    chart = charts.line_chart(
        series,
        title=title,
        description=_("Expected, reported and approved totals from the daily snapshots."),
        whole=clause.metric == Metric.PLACEMENTS,  # placements are people: whole ticks
    )
    return chart, charts.legend(series), (title, points, clause)


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """Key figures, charts and open alerts for a year, a district and a contractor.

    The figures come from the cache (:mod:`contracts.caching`); long lists show their first
    rows and link to their paged lists; the chart's clause is found by a search."""
    filtered = _Filtered(request)
    filters, links = filtered.filters, filtered.links
    year, district, contractor = filtered.year, filtered.district, filtered.contractor
    status, metric = filtered.status, filtered.metric
    alerts = selectors.open_alerts(user=request.user, contracts=filtered.contracts)
    board = replace(
        selectors.dashboard_summary(filtered.key, filtered.contracts),
        alerts=list(alerts[:DASHBOARD_ROWS]),
    )
    clause_list = selectors.clause_lines(
        filtered.key, filtered.contracts, status=status, metric=metric, per_page=DASHBOARD_ROWS
    )
    attention = (
        clause_list
        if not status and not metric
        else selectors.clause_lines(
            filtered.key, filtered.contracts, status="", metric="", per_page=DASHBOARD_ROWS
        )
    )
    overdue = selectors.overdue_lines(filtered.key, filtered.contracts, per_page=DASHBOARD_ROWS)
    history_chart, history_legend, history = _history(filtered, filters.get("clause"), attention)
    found = selectors.clause_search(
        filtered.contracts, filters.get("find") or "", limit=SEARCH_ROWS + 1
    )

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
        "form": filtered.form,
        "board": board,
        "district": district,
        "contractor": contractor,
        "links": links,
        "list_status": status,
        "list_metric": metric,
        "list_title": _clause_list_title(status, metric),
        "clause_list": clause_list,
        "clauses_all": links.page("dashboard:clauses", status=status, metric=metric),
        "overdue": overdue,
        "overdue_all": links.page("dashboard:overdue"),
        "alert_count": alerts.count() if len(board.alerts) == DASHBOARD_ROWS else len(board.alerts),
        "alerts_all": links.alerts(),
        # The clause list's own form keeps the page's other filters, as text: a number in the
        # template would be localised ("2 026") and then refused by the form as a year.
        "list_hidden": links.hidden(clause=filters.get("clause")),
        "search_hidden": links.hidden(status=status, metric=metric),
        "search_text": filters.get("find") or "",
        "search_results": [
            (clause, links.dashboard("history", clause=clause.pk, status=status, metric=metric))
            for clause in found[:SEARCH_ROWS]
        ],
        "search_more": len(found) > SEARCH_ROWS,
        "links_at_risk": links.clauses(status=ClauseStatus.AT_RISK),
        "links_behind": links.clauses(status=ClauseStatus.BEHIND),
        "links_breached": links.clauses(status=ClauseStatus.BREACHED),
        "links_dialogue": links.clauses(status=ClauseStatus.DIALOGUE),
        "links_placements": links.clauses(metric=Metric.PLACEMENTS),
        "history_chart": history_chart,
        "history_legend": history_legend,
        "history": history,
        "charts_html": mark_safe(  # noqa: S308 - our own template's output
            caching.cached(
                ("charts-html", *filtered.key.parts), lambda: _charts_html(board, links, year)
            )
        ),
        "export_csv": f"{compliance_url}?{urlencode({**query, 'format': 'csv'})}",
        "export_xlsx": f"{compliance_url}?{urlencode({**query, 'format': 'xlsx'})}",
        "export_rows": f"{reverse('compliance-rows')}?{urlencode({'format': 'xlsx'})}",
    }
    return render(request, "dashboard/index.html", context)


def _charts_html(board, links: _DashboardLinks, year: int) -> str:
    """The participants' charts and the contractors' ranking with their tables, rendered: the
    same for every manager with the same filters, so kept in the cache."""
    district_rows = [
        (name, count, links.dashboard(district=board.district_ids[name]))
        for name, count in board.by_district
    ]
    group_rows = [
        (name, count, links.rows(board.target_group_ids[name]))
        for name, count in board.by_target_group
    ]
    ranking_rows = [
        (r, links.dashboard(contractor=r.contractor_id)) for r in board.rankings[:DASHBOARD_ROWS]
    ]
    fact_titles = {
        "employment_type": (
            _("Participants by employment type"),
            _("Employment type"),
            _("Participants by employment type, %(year)s"),
        ),
        "gender": (_("Participants by gender"), _("Gender"), _("Participants by gender, %(year)s")),
        "age_band": (
            _("Participants by age band"),
            _("Age band"),
            _("Participants by age band, %(year)s"),
        ),
    }
    facts = []
    for fact, counts in board.by_fact.items():
        heading, column, chart_title = fact_titles[fact]
        labels = dict(selectors.FACTS[fact].choices)
        named = [(str(labels[code]).capitalize(), count) for code, count in counts]
        chart = charts.bar_chart(
            named,
            title=chart_title % {"year": year},
            description=_(
                "Distinct participants in submitted and approved reports; "
                "“not told” where the report does not say."
            ),
        )
        facts.append((fact, heading, column, chart, named))
    context = {
        "facts": facts,
        "board": board,
        "district_rows": district_rows,
        "group_rows": group_rows,
        "ranking_rows": ranking_rows,
        "ranking_all": links.page("dashboard:ranking"),
        "district_chart": charts.bar_chart(
            board.by_district,
            title=_("Participants by district, %(year)s") % {"year": year},
            description=_("Distinct participants in submitted and approved reports."),
            links=[href for _name, _count, href in district_rows],
        ),
        "group_chart": charts.bar_chart(
            board.by_target_group,
            title=_("Participants by target group, %(year)s") % {"year": year},
            description=_("Distinct participants in submitted and approved reports."),
            links=[href for _name, _count, href in group_rows],
        ),
        "ranking_chart": charts.bar_chart(
            [(r.contractor, r.share) for r, _href in ranking_rows],
            title=_("Contractors by share of clauses on course (%)"),
            description=_("Clauses met or on track, of the clauses that have started."),
            links=[href for _ranking, href in ranking_rows],
        ),
    }
    return render_to_string("dashboard/_charts.html", context)


def _paged(filtered: _Filtered, lines: selectors.Lines, name: str, **keep) -> dict:
    """The previous/next links of a paged list, keeping its filters."""
    page = lines.page
    return {
        "lines": lines,
        "previous_url": filtered.links.page(name, page=page - 1, **keep) if page > 1 else None,
        "next_url": (
            filtered.links.page(name, page=page + 1, **keep) if page < lines.pages else None
        ),
        "first_row": (page - 1) * lines.per_page + 1,
        "back_url": filtered.links.dashboard(**keep),
    }


@staff_required
def clauses(request: HttpRequest) -> HttpResponse:
    """Every clause of the dashboard's list (of a status and metric), paged."""
    filtered = _Filtered(request)
    status, metric = filtered.status, filtered.metric
    lines = selectors.clause_lines(
        filtered.key,
        filtered.contracts,
        status=status,
        metric=metric,
        page=filtered.page,
        per_page=PAGE_ROWS,
    )
    if filtered.page > lines.pages:
        raise Http404(_("There is no such page."))
    context = _paged(filtered, lines, "dashboard:clauses", status=status, metric=metric) | {
        "title": _clause_list_title(status, metric),
        "filtered": filtered,
    }
    return render(request, "dashboard/clauses.html", context)


@staff_required
def ranking(request: HttpRequest) -> HttpResponse:
    """Every contractor of the dashboard's ranking, paged, in the ranking's order."""
    filtered = _Filtered(request)
    every = selectors.dashboard_summary(filtered.key, filtered.contracts).rankings
    start = (filtered.page - 1) * PAGE_ROWS
    lines = selectors.Lines(len(every), every[start : start + PAGE_ROWS], filtered.page, PAGE_ROWS)
    if filtered.page > lines.pages:
        raise Http404(_("There is no such page."))
    context = _paged(filtered, lines, "dashboard:ranking") | {
        "title": _("Contractors ranked by compliance"),
        "filtered": filtered,
        "rows": [(r, filtered.links.dashboard(contractor=r.contractor_id)) for r in lines.rows],
    }
    return render(request, "dashboard/ranking.html", context)


@staff_required
def overdue(request: HttpRequest) -> HttpResponse:
    """Every overdue report period of the dashboard, paged."""
    filtered = _Filtered(request)
    lines = selectors.overdue_lines(
        filtered.key, filtered.contracts, page=filtered.page, per_page=PAGE_ROWS
    )
    if filtered.page > lines.pages:
        raise Http404(_("There is no such page."))
    context = _paged(filtered, lines, "dashboard:overdue") | {
        "title": _("Overdue reports"),
        "filtered": filtered,
    }
    return render(request, "dashboard/overdue.html", context)


class _DashboardLinks:
    """The addresses the dashboard's figures, bars and rows link to, keeping its filters."""

    def __init__(self, *, year: int, district, contractor, as_of: date) -> None:
        self.year, self.as_of = year, as_of
        self.filters = {
            "year": year,
            "district": district.pk if district else None,
            "contractor": contractor.pk if contractor else None,
        }

    def dashboard(self, anchor: str = "", **changes) -> str:
        """The dashboard with the same filters, some changed (e.g. ``district=3``)."""
        query = {k: v for k, v in {**self.filters, **changes}.items() if v not in (None, "")}
        return f"{reverse('dashboard:index')}?{urlencode(query)}{f'#{anchor}' if anchor else ''}"

    def page(self, name: str, **changes) -> str:
        """A paged list (``dashboard:clauses``, ``dashboard:overdue``) with the same filters."""
        query = {k: v for k, v in {**self.filters, **changes}.items() if v not in (None, "")}
        if query.get("page") == 1:
            del query["page"]
        return f"{reverse(name)}?{urlencode(query)}"

    def hidden(self, **more) -> list[tuple[str, str]]:
        """The filters as hidden fields of another form on the page, as text."""
        return [(k, str(v)) for k, v in {**self.filters, **more}.items() if v not in (None, "")]

    def alerts(self) -> str:
        """The open alerts in the admin, with the district and contractor filters."""
        query = {
            "state__exact": AlertState.OPEN,
            "contract__district__id__exact": self.filters["district"],
            "contract__contractor__id__exact": self.filters["contractor"],
        }
        query = {key: value for key, value in query.items() if value}
        return f"{reverse('admin:contracts_alert_changelist')}?{urlencode(query)}"

    def clauses(self, *, status: str = ALL, metric: str = "") -> str:
        """The dashboard's list of clauses of a status (and metric)."""
        return self.dashboard("clauses", status=status, metric=metric)

    def contracts(self) -> str:
        """The active contracts in the admin, with the district and contractor filters."""
        query = {
            "status__exact": "active",
            "district__id__exact": self.filters["district"],
            "contractor__id__exact": self.filters["contractor"],
        }
        query = {key: value for key, value in query.items() if value}
        return f"{reverse('admin:contracts_contract_changelist')}?{urlencode(query)}"

    def rows(self, target_group_id: int) -> str:
        """The year's report rows of a target group in the admin."""
        query = {
            "target_group__id__exact": target_group_id,
            "start_date__lte": self.as_of.isoformat(),
            "end_date__gte": date(self.year, 1, 1).isoformat(),
        }
        return f"{reverse('admin:internships_placementrow_changelist')}?{urlencode(query)}"


def _clause_list_title(status: str, metric: str) -> str:
    if not status and not metric:
        return _("Clauses that need attention")
    words = [
        str(ClauseStatus(status).label) if status and status != ALL else "",
        str(Metric(metric).label) if metric else "",
    ]
    which = ", ".join(word for word in words if word)
    return _("Clauses: %(which)s") % {"which": which} if which else _("Every clause")


@staff_required
@require_POST
def alert_ack(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Acknowledge an open alert, then go back to where the button was: the same page, scrolled
    to its list of alerts (the acknowledged one has left it)."""
    alert = get_object_or_404(alert_list(user=request.user), pk=alert_id)
    if alert.state == AlertState.OPEN:
        alert_acknowledge(alert=alert, user=request.user)
        messages.success(request, _("The alert is acknowledged."), extra_tags=ALERTS_ANCHOR)
    return _back(request, anchor=ALERTS_ANCHOR)


@staff_required
@require_POST
def alert_close(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Close a clause breached alert with the officer's comment, then go back."""
    alert = get_object_or_404(alert_list(user=request.user), pk=alert_id)
    try:
        alert_close_service(alert=alert, user=request.user, comment=request.POST.get("comment", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message, extra_tags=ALERTS_ANCHOR)
    except AlertStateError as error:
        messages.error(request, str(error), extra_tags=ALERTS_ANCHOR)
    else:
        messages.success(request, _("The alert is closed."), extra_tags=ALERTS_ANCHOR)
    return _back(request, anchor=ALERTS_ANCHOR)


def _back(request: HttpRequest, *, anchor: str = "") -> HttpResponse:
    """Back to the page the form was on (its ``next``, if it is on this site; else the
    dashboard), scrolled to ``anchor`` if given."""
    target = request.POST.get("next", "")
    if anchor:
        target = target.split("#")[0]
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("dashboard:index")
    return redirect(f"{target}#{anchor}" if anchor else target)


def _report_year(year: int) -> int:
    """A year that has a report: from 2000 up to the current year."""
    if not 2000 <= year <= timezone.localdate().year:
        raise Http404(_("There is no report for that year."))
    return year


def _annual_report_cached(year: int):
    """The annual report, kept in the cache until its figures change (:mod:`.caching`)."""
    today = timezone.localdate()
    return caching.cached(("annual", year, today), lambda: annual_report(year=year, today=today))


@staff_required
def annual_latest(request: HttpRequest) -> HttpResponse:
    """The report of the last whole year."""
    return redirect("dashboard:annual", year=timezone.localdate().year - 1)


@staff_required
def annual(request: HttpRequest, year: int) -> HttpResponse:
    """The annual integration report for ``year`` (issue 7) as a page."""
    year = _report_year(year)
    today = timezone.localdate()
    this_year = today.year
    # The report's body (its many tables) is the same for every manager: kept rendered, in
    # the reader's language, under the same generation as its figures.
    body = caching.cached(
        ("annual-body", year, today),
        lambda: render_to_string(
            "contracts/_annual_body.html", annual_output.context(_annual_report_cached(year))
        ),
    )
    context = {
        "report": _AnnualTitle(year),
        "annual_body": mark_safe(body),  # noqa: S308 - our own template's output
        "previous_year": year - 1,
        "next_year": year + 1,
        "previous_url": reverse("dashboard:annual", args=[year - 1]) if year > 2000 else None,
        "next_url": reverse("dashboard:annual", args=[year + 1]) if year < this_year else None,
        "xlsx_url": reverse("dashboard:annual-file", args=[year, "xlsx"]),
        "pdf_url": reverse("dashboard:annual-file", args=[year, "pdf"]),
    }
    return render(request, "dashboard/annual.html", context)


class _AnnualTitle:
    """What annual.html reads of the report when its body comes rendered from the cache."""

    def __init__(self, year: int) -> None:
        self.year = year


@staff_required
def annual_file(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    """The annual report as a download: XLSX, PDF or a standalone printable HTML page."""
    year = _report_year(year)
    if fmt not in annual_output.FILES:
        raise Http404(_("Unknown file format."))
    content_type, render_file = annual_output.FILES[fmt]
    try:
        body = render_file(_annual_report_cached(year))
    except annual_output.PdfUnavailable as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=content_type)
    name = _("integration-report-%(year)s") % {"year": year}
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
