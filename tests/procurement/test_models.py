"""Tests of districts and contractors (docs/RULES.md §5): organisationsnummer and uniqueness."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.luhn import luhn_valid
from procurement.models import Contractor, District
from procurement.validators import normalise_org_number, validate_org_number
from tests.factories import ContractorFactory

pytestmark = pytest.mark.django_db

VALID = "556036-0793"
VALID_DIGITS = "5560360793"
BAD_CHECK_DIGIT = "556036-0794"


def test_example_numbers_are_what_the_tests_assume() -> None:
    assert luhn_valid(VALID_DIGITS)
    assert not luhn_valid(BAD_CHECK_DIGIT.replace("-", ""))


# --- The validator -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [VALID, VALID_DIGITS, f"  {VALID} ", f"{VALID_DIGITS}\n"])
def test_valid_org_number_with_or_without_hyphen_normalises_to_the_hyphenated_form(
    value: str,
) -> None:
    assert normalise_org_number(value) == VALID
    validate_org_number(value)  # does not raise


@pytest.mark.parametrize("value", [BAD_CHECK_DIGIT, "5560360794", "556036-0703", "656036-0793"])
def test_org_number_failing_the_luhn_check_is_refused(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_org_number(value)
    assert caught.value.code == "checksum"


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "556036",
        "556036-079",
        "556036-07930",
        "55603-60793",
        "5560-360793",
        "556036 0793",
        "556036--0793",
        "556036\u20130793",  # en dash
        "16556036-0793",  # 12 digits
        "55603A-0793",
        "٥٥٦٠٣٦-٠٧٩٣",  # Arabic-Indic digits would be a second spelling of one number
        "５５６０３６-０７９３",  # full-width digits
    ],
)
def test_org_number_in_a_bad_format_is_refused(value: str | None) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_org_number(value)
    assert caught.value.code == "format"


# --- The model ---------------------------------------------------------------------------------


def test_contractor_saved_without_hyphen_is_stored_with_hyphen() -> None:
    contractor = ContractorFactory(org_number=VALID_DIGITS)
    contractor.refresh_from_db()
    assert contractor.org_number == VALID


def test_contractor_saved_with_hyphen_is_stored_unchanged() -> None:
    contractor = ContractorFactory(org_number=VALID)
    assert Contractor.objects.get(pk=contractor.pk).org_number == VALID


def test_full_clean_accepts_and_normalises_an_org_number_without_hyphen() -> None:
    contractor = Contractor(name="Bygg AB", org_number=VALID_DIGITS)
    contractor.full_clean()
    assert contractor.org_number == VALID


@pytest.mark.parametrize("value", [BAD_CHECK_DIGIT, "55603-60793", "abc", "556036 0793"])
def test_full_clean_reports_an_invalid_org_number_on_the_field(value: str) -> None:
    contractor = Contractor(name="Bygg AB", org_number=value)
    with pytest.raises(ValidationError) as caught:
        contractor.full_clean()
    assert list(caught.value.message_dict) == ["org_number"]


def test_full_clean_reports_a_missing_org_number_on_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        Contractor(name="Bygg AB", org_number="").full_clean()
    assert "org_number" in caught.value.message_dict


def test_saving_an_invalid_org_number_is_refused_and_stores_nothing() -> None:
    with pytest.raises(ValidationError):
        Contractor(name="Bygg AB", org_number=BAD_CHECK_DIGIT).save()
    assert not Contractor.objects.exists()


@pytest.mark.parametrize(
    ("first", "second"),
    [(VALID, VALID), (VALID, VALID_DIGITS), (VALID_DIGITS, VALID), (VALID_DIGITS, VALID_DIGITS)],
)
def test_second_contractor_with_the_same_org_number_is_refused_by_the_database(
    first: str, second: str
) -> None:
    ContractorFactory(org_number=first)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Contractor(name="Kopia AB", org_number=second).save()
    assert Contractor.objects.count() == 1


@pytest.mark.parametrize("second", [VALID, VALID_DIGITS])
def test_full_clean_reports_a_duplicate_org_number_in_either_spelling(second: str) -> None:
    ContractorFactory(org_number=VALID)
    with pytest.raises(ValidationError) as caught:
        Contractor(name="Kopia AB", org_number=second).full_clean()
    assert list(caught.value.message_dict) == ["org_number"]


def test_full_clean_of_an_existing_contractor_does_not_report_itself_as_duplicate() -> None:
    contractor = ContractorFactory(org_number=VALID)
    contractor.org_number = VALID_DIGITS
    contractor.full_clean()
    assert contractor.org_number == VALID


def test_district_name_is_unique_in_the_database() -> None:
    District.objects.create(name="Ny stadsdel")
    with transaction.atomic(), pytest.raises(IntegrityError):
        District.objects.create(name="Ny stadsdel", municipality="Habo")


def test_district_with_the_name_of_a_seeded_district_is_refused_by_full_clean() -> None:
    with pytest.raises(ValidationError) as caught:
        District(name="Råslätt").full_clean()
    assert list(caught.value.message_dict) == ["name"]


def test_new_district_defaults_to_jonkoping() -> None:
    district = District.objects.create(name="Ny stadsdel")
    district.refresh_from_db()
    assert district.municipality == "Jönköping"
