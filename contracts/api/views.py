from __future__ import annotations

from dataclasses import asdict

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts import selectors, services
from contracts.choices import ClauseStatus, Metric
from core.api.permissions import OfficerWritesOthersRead

from .serializers import (
    AlertSerializer,
    AsOfSerializer,
    ClauseSerializer,
    ContractSerializer,
    EvaluationSerializer,
    ScheduleEntrySerializer,
    TargetGroupSerializer,
)

AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description="Evaluation date (default today)")


def _as_of(request):
    query = AsOfSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("as_of") or timezone.localdate()


class TargetGroupViewSet(viewsets.ReadOnlyModelViewSet):
    """Target groups (reference data), identified by ``code``."""

    serializer_class = TargetGroupSerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        from contracts.models import TargetGroup

        return TargetGroup.objects.order_by("code")


class ContractViewSet(viewsets.ModelViewSet):
    """Contracts. Officers write; contractor users see their own."""

    serializer_class = ContractSerializer
    permission_classes = [OfficerWritesOthersRead]
    filterset_fields = ["contractor", "district", "status", "procurement", "reporting_frequency"]
    ordering_fields = ["reference", "start_date", "end_date", "value_sek", "title"]

    def get_queryset(self):
        return selectors.contract_list(user=self.request.user)

    @extend_schema(parameters=[AS_OF], responses=ScheduleEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def schedule(self, request, pk=None):
        """Every reporting period with its due date and state (DESIGN.md §5)."""
        as_of = _as_of(request)
        entries = selectors.contract_schedule(self.get_object(), as_of=as_of)
        return Response(ScheduleEntrySerializer([asdict(e) for e in entries], many=True).data)

    @extend_schema(parameters=[AS_OF], responses=EvaluationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def compliance(self, request, pk=None):
        """Where each clause of the contract stands (DESIGN.md §4)."""
        as_of = _as_of(request)
        contract = self.get_object()
        items = selectors.evaluate_clauses(
            as_of=as_of, contracts=selectors.Contract.objects.filter(pk=contract.pk)
        )
        rows = [EvaluationSerializer.row(item) for item in items]
        return Response(EvaluationSerializer(rows, many=True).data)


class ClauseViewSet(viewsets.ModelViewSet):
    """Social clauses with their milestones (written as one complete list)."""

    serializer_class = ClauseSerializer
    permission_classes = [OfficerWritesOthersRead]
    filterset_fields = ["contract", "metric"]
    ordering_fields = ["id", "target", "due_date"]

    def get_queryset(self):
        return selectors.clause_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.save_with(services.clause_save)

    def perform_update(self, serializer):
        serializer.save_with(services.clause_save, instance=serializer.instance)


class ComplianceQuerySerializer(AsOfSerializer):
    contract = serializers.IntegerField(required=False)
    contractor = serializers.IntegerField(required=False)
    district = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=ClauseStatus.choices, required=False)
    metric = serializers.ChoiceField(choices=Metric.choices, required=False)


class ComplianceViewSet(viewsets.GenericViewSet):
    """Every clause the caller may see, evaluated as of ``as_of``, filterable."""

    serializer_class = EvaluationSerializer
    filter_backends: list = []

    @extend_schema(parameters=[ComplianceQuerySerializer])
    def list(self, request):
        query = ComplianceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        contracts = selectors.contract_list(user=request.user)
        for name in ("contractor", "district"):
            if name in params:
                contracts = contracts.filter(**{f"{name}_id": params[name]})
        if "contract" in params:
            contracts = contracts.filter(pk=params["contract"])
        items = selectors.evaluate_clauses(
            as_of=params.get("as_of") or timezone.localdate(), contracts=contracts
        )
        rows = [
            EvaluationSerializer.row(item)
            for item in items
            if params.get("status", item.evaluation.status) == item.evaluation.status
            and params.get("metric", item.evaluation.metric) == item.evaluation.metric
        ]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(EvaluationSerializer(page, many=True).data)


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts (DESIGN.md §6). Managers and officers acknowledge them."""

    serializer_class = AlertSerializer
    filterset_fields = ["kind", "state", "contract", "clause"]
    ordering_fields = ["created_at", "kind", "state"]

    def get_queryset(self):
        return selectors.alert_list(user=self.request.user)

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Record that the caller has seen the alert."""
        try:
            alert = services.alert_acknowledge(alert=self.get_object(), user=request.user)
        except ValueError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(AlertSerializer(alert).data)
