from rest_framework import serializers

from core.api.serializers import CleanModelSerializer
from procurement.models import Contractor, District, Procurement


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "name", "municipality"]


class ContractorSerializer(CleanModelSerializer):
    class Meta:
        model = Contractor
        fields = ["id", "name", "org_number", "contact_email", "is_active"]


class ProcurementSerializer(CleanModelSerializer):
    class Meta:
        model = Procurement
        fields = ["id", "reference", "title", "description", "officer", "status", "awarded_on"]
