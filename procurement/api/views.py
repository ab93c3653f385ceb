from rest_framework import viewsets

from core.api.permissions import OfficerWritesOthersRead
from procurement import selectors

from .serializers import ContractorSerializer, DistrictSerializer, ProcurementSerializer


class DistrictViewSet(viewsets.ReadOnlyModelViewSet):
    """Residential districts (reference data, edited in the admin)."""

    serializer_class = DistrictSerializer
    filterset_fields = ["municipality"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return selectors.district_list()


class ContractorViewSet(viewsets.ModelViewSet):
    """Contractors. Officers write; a contractor user sees only itself."""

    serializer_class = ContractorSerializer
    permission_classes = [OfficerWritesOthersRead]
    filterset_fields = ["is_active", "org_number"]
    ordering_fields = ["name", "org_number"]

    def get_queryset(self):
        return selectors.contractor_list(user=self.request.user)


class ProcurementViewSet(viewsets.ModelViewSet):
    """Procurements (upphandlingar)."""

    serializer_class = ProcurementSerializer
    permission_classes = [OfficerWritesOthersRead]
    filterset_fields = ["status", "officer"]
    ordering_fields = ["reference", "awarded_on", "title"]

    def get_queryset(self):
        return selectors.procurement_list(user=self.request.user)
