"""The matcher page (/matchning/) and the contractor's referrals (/portal/referrals/).

Views check input and call the matching services; what a user sees comes from the scoped
selectors, so another unit's row or another contractor's referral is a 404 (or not listed).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from contracts.selectors import contract_list
from core.exceptions import TransitionError
from core.roles import is_matcher, matcher_unit_id_of, writes_reports
from internships.choices import ReferralStatus
from procurement.models import LabourMarketUnit

from . import selectors, services
from .forms import ConfirmForm, DeclineForm, DisputeForm, ReferralForm


def matcher_required(view):
    """Logged in and a matcher; anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_matcher(request.user):
            raise PermissionDenied(_("This page is for the matching organisation."))
        return view(request, *args, **kwargs)

    return wrapper


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


#: At most this many waiting rows on the matcher's page (the longest waiting first).
ROWS_SHOWN = 100


@matcher_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """The unit's contracts, the rows waiting for its word (confirm many, dispute one), the
    rows decided lately, its referrals and a form to refer a candidate."""
    user = request.user
    waiting = selectors.rows_waiting(user=user)
    disputable = (
        selectors.confirmable_rows(unit_id=matcher_unit_id_of(user))
        .select_related("report__contract")
        .order_by("report__contract__reference", "start_date", "id")
    )
    contracts = contract_list(user=user)
    action = request.POST.get("action") if request.method == "POST" else None
    confirm_form = ConfirmForm(request.POST if action == "confirm" else None, rows=waiting)
    dispute_form = DisputeForm(request.POST if action == "dispute" else None, rows=disputable)
    referral_form = ReferralForm(request.POST if action == "refer" else None, contracts=contracts)
    if action == "confirm" and confirm_form.is_valid():
        ids = [row.pk for row in confirm_form.cleaned_data["rows"]]
        try:
            rows = services.rows_confirm(row_ids=ids, user=user)
        except ValidationError as error:
            _add_errors(confirm_form, error)
        else:
            messages.success(
                request,
                ngettext("%(count)d row confirmed.", "%(count)d rows confirmed.", len(rows))
                % {"count": len(rows)},
            )
            return redirect("matching:index")
    elif action == "dispute" and dispute_form.is_valid():
        try:
            services.row_dispute(
                row_id=dispute_form.cleaned_data["row"].pk,
                user=user,
                comment=dispute_form.cleaned_data["comment"],
            )
        except ValidationError as error:
            _add_errors(dispute_form, error)
        else:
            messages.success(request, _("The row is disputed; the contractor sees your comment."))
            return redirect("matching:index")
    elif action == "refer" and referral_form.is_valid():
        try:
            services.referral_create(user=user, **referral_form.cleaned_data)
        except ValidationError as error:
            _add_errors(referral_form, error)
        else:
            messages.success(request, _("The candidate is referred; the contractor will answer."))
            return redirect("matching:index")
    # A unit serving many contracts may have thousands of rows waiting: the longest waiting
    # are shown, and the dispute select offers only the rows on the page.
    shown = list(waiting[:ROWS_SHOWN])
    waiting_count = waiting.count() if len(shown) == ROWS_SHOWN else len(shown)
    decided = selectors.rows_decided(user=user)
    dispute_form.offer(shown + list(decided))
    return render(
        request,
        "matching/index.html",
        {
            "unit": LabourMarketUnit.objects.get(pk=matcher_unit_id_of(user)),
            "contracts": contracts,
            "waiting": shown,
            "waiting_count": waiting_count,
            "decided": decided,
            "referrals": list(selectors.referral_list(user=user)[:100]),
            "confirm_form": confirm_form,
            "dispute_form": dispute_form,
            "referral_form": referral_form,
            "ticked": {str(value) for value in request.POST.getlist("rows")},
        },
        status=400 if action else 200,
    )


def contractor_required(view):
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not writes_reports(request.user):
            raise PermissionDenied(_("The portal is for contractor users."))
        return view(request, *args, **kwargs)

    return wrapper


def _referrals_page(request: HttpRequest, failed=None, status: int = 200) -> HttpResponse:
    items = list(selectors.referral_list(user=request.user)[:200])
    proposed = [
        (
            referral,
            failed
            if failed is not None and failed.prefix == f"r{referral.pk}"
            else DeclineForm(prefix=f"r{referral.pk}"),
        )
        for referral in items
        if referral.status == ReferralStatus.PROPOSED
    ]
    answered = [referral for referral in items if referral.status != ReferralStatus.PROPOSED]
    return render(
        request,
        "matching/referrals.html",
        {"proposed": proposed, "answered": answered},
        status=status,
    )


@contractor_required
def referrals(request: HttpRequest) -> HttpResponse:
    """The candidates referred to the contractor's contracts, to accept or decline."""
    return _referrals_page(request)


@contractor_required
@require_POST
def referral_answer(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Accept, or decline with a reason (the form comes back with the error and the input)."""
    referral = get_object_or_404(selectors.referral_list(user=request.user), pk=referral_id)
    try:
        if request.POST.get("answer") == "accept":
            services.referral_accept(referral=referral, user=request.user)
            messages.success(
                request, _("Accepted: the next report form of the contract has a row for them.")
            )
        else:
            form = DeclineForm(request.POST, prefix=f"r{referral.pk}")
            if not form.is_valid():
                return _referrals_page(request, failed=form, status=400)
            services.referral_decline(
                referral=referral, user=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Declined; the matching organisation sees your reason."))
    except TransitionError as error:
        messages.error(request, str(error))
    return redirect("referrals:index")
