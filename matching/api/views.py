"""The matching organisation's API (docs/API.md, "Matching"): ``rows`` (list, ``confirm``,
``dispute``) and ``referrals`` (list, read, create, ``accept``, ``decline``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts.models import Contract
from core import audit
from core.exceptions import TransitionError
from core.roles import is_matcher, writes_reports
from internships.choices import Verification
from internships.models import PlacementReport, PlacementRow
from matching import selectors, services

from .serializers import (
    ConfirmedRowsSerializer,
    DeclineSerializer,
    DisputeSerializer,
    MatcherRowSerializer,
    ReferralSerializer,
    RowIdsSerializer,
)


class MatcherActs(permissions.BasePermission):
    """Reading is for every authenticated user (scoped by the queryset); confirming, disputing
    and referring are a matcher's; answering a referral is the contractor's (and superusers')."""

    #: The actions of each role; any other write is refused before the object is looked up.
    MATCHER_ACTIONS = ("confirm", "dispute", "create")
    CONTRACTOR_ACTIONS = ("accept", "decline")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if view.action in self.MATCHER_ACTIONS:
            return is_matcher(user)
        if view.action in self.CONTRACTOR_ACTIONS:
            return writes_reports(user)
        return False


class RowFilter(filters.FilterSet):
    """A row's verification, report or contract (by id, as the other lists filter)."""

    verification = filters.ChoiceFilter(choices=Verification.choices)
    report = filters.ModelChoiceFilter(queryset=PlacementReport.objects.all())
    contract = filters.ModelChoiceFilter(
        field_name="report__contract", queryset=Contract.objects.all()
    )

    class Meta:
        model = PlacementRow
        fields = ["verification", "report", "contract"]


class RowViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Rows of the reports the caller may see, with the matcher's verification. A matcher sees
    the rows of submitted, approved and superseded reports of the contracts its unit serves."""

    serializer_class = MatcherRowSerializer
    permission_classes = [MatcherActs]
    filterset_class = RowFilter
    ordering_fields = ["start_date", "verified_at"]

    def get_queryset(self):
        return selectors.row_list(user=self.request.user)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit.read_logged(
            user=request.user,
            what=audit.What.API,
            object_ids=[row["id"] for row in response.data.get("results", [])],
            detail=request.GET.urlencode()[:200],
        )
        return response

    @extend_schema(request=RowIdsSerializer, responses={200: ConfirmedRowsSerializer})
    @action(detail=False, methods=["post"])
    def confirm(self, request, format=None):
        """Confirm rows (matchers): all of them, or none if any id is not a row of a submitted
        or approved report of a contract the caller's unit serves (400 under ``rows``)."""
        body = RowIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows = services.rows_confirm(row_ids=body.validated_data["rows"], user=request.user)
        fresh = selectors.row_list(user=request.user).filter(pk__in=[row.pk for row in rows])
        return Response({"rows": MatcherRowSerializer(fresh, many=True).data})

    @extend_schema(request=DisputeSerializer, responses={200: MatcherRowSerializer})
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None, format=None):
        """Dispute one row, with a comment (matchers). A row outside the caller's reach: 404."""
        row = self.get_object()
        body = DisputeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.row_dispute(
                row_id=row.pk, user=request.user, comment=body.validated_data["comment"]
            )
        except PlacementRow.DoesNotExist:
            # Visible, but its report is no longer one a matcher decides on (superseded).
            raise TransitionError(
                _("Only a row of a submitted or approved report can be disputed.")
            ) from None
        return Response(MatcherRowSerializer(self.get_queryset().get(pk=row.pk)).data)


class ReferralViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Candidates referred by matchers. A matcher creates and lists its unit's; a contractor
    user lists those to its own contracts and ``accept``s or ``decline``s them (with a reason)."""

    serializer_class = ReferralSerializer
    permission_classes = [MatcherActs]
    filterset_fields = ["contract", "status"]
    ordering_fields = ["created_at", "proposed_start"]

    def get_queryset(self):
        return selectors.referral_list(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.referral_create(user=self.request.user, **data)

    @extend_schema(request=None, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None, format=None):
        """Accept a proposed referral (the contractor): the next report form offers its row."""
        referral = services.referral_accept(referral=self.get_object(), user=request.user)
        return Response(ReferralSerializer(self.get_queryset().get(pk=referral.pk)).data)

    @extend_schema(request=DeclineSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None, format=None):
        """Decline a proposed referral, with a reason (the contractor)."""
        referral = self.get_object()
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        referral = services.referral_decline(
            referral=referral, user=request.user, reason=body.validated_data["reason"]
        )
        return Response(ReferralSerializer(self.get_queryset().get(pk=referral.pk)).data)
