"""factory_boy factories for the domain model, with valid Swedish data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from contracts.choices import ContractStatus, Metric, ReportingFrequency
from contracts.models import ClauseMilestone, Contract, SocialClause, TargetGroup
from core.luhn import luhn_check_digit
from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow
from procurement.models import Contractor, ContractorMembership, District, Procurement


def org_number(n: int) -> str:
    """A valid organisationsnummer (Luhn) derived from ``n``; companies start with 5."""
    body = f"55{n:07d}"[:9]
    return f"{body[:6]}-{body[6:]}{luhn_check_digit(body)}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.se")
    password = factory.django.Password("demo1234")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("name",)

    name = "Öxnehaga"


class ContractorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contractor

    name = factory.Sequence(lambda n: f"Bygg {n} AB")
    org_number = factory.Sequence(org_number)
    contact_email = factory.Sequence(lambda n: f"info{n}@bygg.example.se")


class ContractorUserFactory(UserFactory):
    @factory.post_generation
    def contractor(self, create, extracted, **kwargs):
        if create:
            ContractorMembership.objects.create(
                user=self, contractor=extracted or ContractorFactory()
            )


class ProcurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procurement

    reference = factory.Sequence(lambda n: f"VH-2024-{n:04d}")
    title = factory.Sequence(lambda n: f"Nyproduktion etapp {n}")
    status = Procurement.Status.AWARDED
    awarded_on = date(2024, 1, 15)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    reference = factory.Sequence(lambda n: f"K-{n:05d}")
    title = factory.Sequence(lambda n: f"Flerbostadshus {n}")
    procurement = factory.SubFactory(ProcurementFactory)
    contractor = factory.SubFactory(ContractorFactory)
    district = factory.SubFactory(DistrictFactory)
    value_sek = Decimal("25000000.00")
    start_date = date(2024, 1, 1)
    end_date = date(2025, 12, 31)
    reporting_frequency = ReportingFrequency.QUARTERLY
    status = ContractStatus.ACTIVE


class SocialClauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialClause
        skip_postgeneration_save = True

    contract = factory.SubFactory(ContractFactory)
    metric = Metric.PLACEMENTS
    target = Decimal(10)

    @factory.post_generation
    def target_groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.target_groups.set(TargetGroup.objects.filter(code__in=extracted))


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClauseMilestone

    clause = factory.SubFactory(SocialClauseFactory)
    date = date(2024, 12, 31)
    cumulative_target = Decimal(5)


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlacementReport

    contract = factory.SubFactory(ContractFactory)
    period_start = factory.LazyAttribute(lambda r: r.contract.reporting_periods()[0].start)
    period_end = factory.LazyAttribute(lambda r: r.contract.reporting_periods()[0].end)
    status = ReportStatus.DRAFT


class RowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlacementRow

    report = factory.SubFactory(ReportFactory)
    participant_ref = factory.Sequence(lambda n: f"D-{n:04d}")
    target_group = factory.LazyFunction(lambda: TargetGroup.objects.get(code="newly_arrived"))
    start_date = factory.LazyAttribute(lambda r: r.report.period_start)
    end_date = factory.LazyAttribute(lambda r: r.report.period_end)
    hours = Decimal(100)
