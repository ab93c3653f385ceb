from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import CleanModelSerializer
from procurement.models import Contractor, District, Procurement
from procurement.validators import ORG_NUMBER_PATTERN


@extend_schema_field({"type": "string", "pattern": ORG_NUMBER_PATTERN, "maxLength": 11})
class OrgNumberField(serializers.CharField):
    """The model's validator checks the form and the check digit; the schema states the form."""


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "name", "municipality"]


class ContractorSerializer(CleanModelSerializer):
    class Meta:
        model = Contractor
        fields = ["id", "name", "org_number", "contact_email", "is_active"]

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name == "org_number":
            field_class = OrgNumberField
        return field_class, kwargs


class ProcurementSerializer(CleanModelSerializer):
    class Meta:
        model = Procurement
        fields = ["id", "reference", "title", "description", "officer", "status", "awarded_on"]
