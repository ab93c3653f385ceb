"""Tests of participant pseudonymisation (docs/RULES.md §5.3): a personnummer is validated and
replaced by a keyed HMAC at once, so the raw number is never stored or logged."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection

from contracts.models import TargetGroup
from core.luhn import luhn_check_digit, luhn_valid
from internships.models import PlacementRow
from internships.pseudonyms import (
    PSEUDONYM_PREFIX,
    Personnummer,
    looks_like_personnummer,
    parse_personnummer,
    participant_ref_from,
    pseudonym_for,
)
from tests.factories import ReportFactory

TODAY = date(2025, 6, 1)


def with_check_digit(body: str) -> str:
    """``body`` (YYMMDDNNN, 9 digits) completed with its Luhn check digit."""
    return body + luhn_check_digit(body)


def wrong_check_digit(body: str) -> str:
    """``body`` completed with a check digit that fails the Luhn check."""
    return body + str((int(luhn_check_digit(body)) + 1) % 10)


def formats(ten: str, century: str) -> dict[str, str]:
    """Every accepted way of writing the number whose 10 digits are ``ten``."""
    return {
        "YYYYMMDD-NNNN": f"{century}{ten[:6]}-{ten[6:]}",
        "YYYYMMDDNNNN": f"{century}{ten}",
        "YYMMDD-NNNN": f"{ten[:6]}-{ten[6:]}",
        "YYMMDDNNNN": ten,
    }


# A person born 1981-12-18 (the body is made up; the check digit is computed).
TEN = with_check_digit("811218987")
TWELVE = "19" + TEN
PERSON = formats(TEN, "19")


def secret_variants(ten: str, century: str) -> set[str]:
    """Strings that would betray the number if they showed up anywhere."""
    return {*formats(ten, century).values(), century + ten}


def assert_no_number(text: str, ten: str = TEN, century: str = "19") -> None:
    for secret in secret_variants(ten, century):
        assert secret not in text


# --- Accepted formats --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PERSON))
def test_every_accepted_format_gives_the_canonical_twelve_digit_number(name: str) -> None:
    assert parse_personnummer(PERSON[name], today=TODAY).canonical == TWELVE


def test_every_accepted_format_maps_the_same_person_to_the_same_pseudonym() -> None:
    pseudonyms = {participant_ref_from(personnummer=value) for value in PERSON.values()}
    assert len(pseudonyms) == 1
    assert pseudonyms.pop().startswith(PSEUDONYM_PREFIX)


def test_pseudonym_is_the_hmac_sha256_of_the_canonical_number_under_the_configured_key(
    settings,
) -> None:
    # Pinned: changing the derivation would stop recognising people already in the database.
    settings.PARTICIPANT_HMAC_KEY = "test-key"
    expected = hmac.new(b"test-key", TWELVE.encode(), hashlib.sha256).hexdigest()[:40]
    assert participant_ref_from(personnummer=PERSON["YYMMDD-NNNN"]) == "pn-" + expected


def test_pseudonym_fits_the_participant_ref_column_and_is_not_a_personnummer() -> None:
    pseudonym = participant_ref_from(personnummer=TEN)
    assert len(pseudonym) <= PlacementRow._meta.get_field("participant_ref").max_length
    assert not looks_like_personnummer(pseudonym)
    # Stored pseudonyms are passed through unchanged when they come back (e.g. on re-save).
    assert participant_ref_from(participant_ref=pseudonym) == pseudonym


@pytest.mark.parametrize(
    "typed",
    [
        f" {TEN[:6]}-{TEN[6:]} ",  # surrounding spaces
        f"{TEN[:6]} - {TEN[6:]}",  # spaces around the hyphen
        f"19{TEN[:6]} {TEN[6:]}",  # space instead of hyphen
        f"{TEN[:6]}\u2013{TEN[6:]}",  # en dash, as word processors write it
        f"{TEN[:6]}\u2212{TEN[6:]}",  # minus sign
        f"{TEN[:6]}\u00a0{TEN[6:]}",  # non-breaking space from a spreadsheet
        "".join(chr(0xFF10 + int(d)) for d in TEN),  # full-width digits
        "".join(chr(0x0660 + int(d)) for d in TEN),  # Arabic-Indic digits
    ],
)
def test_number_typed_with_unusual_characters_is_still_recognised_and_pseudonymised(
    typed: str,
) -> None:
    assert looks_like_personnummer(typed)
    assert participant_ref_from(participant_ref=typed) == participant_ref_from(personnummer=TEN)


def test_centenarian_written_with_plus_is_the_same_person_as_the_twelve_digit_form() -> None:
    ten = with_check_digit("200505123")  # born 1920-05-05
    with_plus = f"{ten[:6]}+{ten[6:]}"
    assert parse_personnummer(with_plus, today=TODAY).canonical == "19" + ten
    assert parse_personnummer("19" + ten, today=TODAY).canonical == "19" + ten
    assert participant_ref_from(personnummer=with_plus) == participant_ref_from(
        personnummer="19" + ten
    )


def test_plus_separator_puts_the_birth_a_hundred_years_earlier_than_the_hyphen() -> None:
    ten = with_check_digit("200505123")
    assert parse_personnummer(f"{ten[:6]}-{ten[6:]}", today=TODAY).canonical == "20" + ten
    assert parse_personnummer(f"{ten[:6]}+{ten[6:]}", today=TODAY).canonical == "19" + ten


def test_plus_separator_in_the_twelve_digit_form_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_personnummer(f"19{TEN[:6]}+{TEN[6:]}", today=TODAY)


# --- Century inference for 10-digit numbers ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "year"),
    [
        ("250601123", 2025),  # born today
        ("250531123", 2025),  # born yesterday
        ("250602123", 1925),  # tomorrow's date can only be a hundred years ago
        ("251231123", 1925),
        ("240602123", 2024),
        ("260101123", 1926),
        ("000101123", 2000),
        ("991231123", 1999),
    ],
)
def test_ten_digit_number_is_in_the_latest_century_that_puts_the_birth_not_in_the_future(
    body: str, year: int
) -> None:
    ten = with_check_digit(body)
    assert parse_personnummer(ten, today=TODAY).canonical == f"{year}{ten[2:]}"


def test_century_inference_depends_on_today() -> None:
    ten = with_check_digit("300101123")
    assert parse_personnummer(ten, today=date(2029, 12, 31)).canonical == "19" + ten
    assert parse_personnummer(ten, today=date(2030, 1, 1)).canonical == "20" + ten


# --- Refused numbers ---------------------------------------------------------------------------


def test_luhn_failure_is_refused_in_every_format() -> None:
    bad = wrong_check_digit("811218987")
    for value in formats(bad, "19").values():
        with pytest.raises(ValidationError) as caught:
            parse_personnummer(value, today=TODAY)
        assert caught.value.code == "invalid_personnummer"


@pytest.mark.parametrize("digit_strings", ["", "12a4", "²³", "٥٥٦٠٣٦٠٧٩٣"])
def test_luhn_check_refuses_anything_but_ascii_digits(digit_strings: str) -> None:
    assert not luhn_valid(digit_strings)


@pytest.mark.parametrize(
    ("body", "century"),
    [
        ("810230987", "19"),  # 30 February
        ("811318987", "19"),  # month 13
        ("810018987", "19"),  # month 0
        ("811200987", "19"),  # day 0
        ("810431987", "19"),  # 31 April
        ("810229987", "19"),  # 29 February 1981, not a leap year
        ("000229987", "19"),  # 29 February 1900, not a leap year
        ("811292987", "19"),  # samordningsnummer day 32
    ],
)
def test_impossible_dates_are_refused(body: str, century: str) -> None:
    ten = with_check_digit(body)
    with pytest.raises(ValidationError):
        parse_personnummer(century + ten, today=TODAY)


def test_leap_day_of_a_leap_year_is_accepted() -> None:
    ten = with_check_digit("000229987")
    assert parse_personnummer("20" + ten, today=TODAY).canonical == "20" + ten
    assert parse_personnummer(ten, today=TODAY).canonical == "20" + ten


def test_leap_day_inferred_into_a_century_year_that_is_not_leap_is_refused() -> None:
    # On 2000-01-15 "000229" cannot be 2000-02-29 (future) and 1900-02-29 did not exist.
    with pytest.raises(ValidationError):
        parse_personnummer(with_check_digit("000229987"), today=date(2000, 1, 15))


def test_samordningsnummer_with_day_plus_sixty_is_accepted() -> None:
    ten = with_check_digit("811278987")  # born 1981-12-18
    parsed = parse_personnummer(ten, today=TODAY)
    assert parsed.is_samordningsnummer
    assert parsed.canonical == "19" + ten
    assert not parse_personnummer(TEN, today=TODAY).is_samordningsnummer


def test_samordningsnummer_is_a_different_person_from_the_personnummer_with_the_same_date() -> None:
    samordning = with_check_digit("811278987")
    assert participant_ref_from(personnummer=samordning) != participant_ref_from(personnummer=TEN)


def test_samordningsnummer_day_sixty_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_personnummer(with_check_digit("811260987"), today=TODAY)


@pytest.mark.parametrize("birth", ["20250602", "20301231"])
def test_twelve_digit_number_born_in_the_future_is_refused(birth: str) -> None:
    with pytest.raises(ValidationError):
        parse_personnummer(birth[:2] + with_check_digit(birth[2:] + "123"), today=TODAY)


def test_twelve_digit_number_born_today_is_accepted() -> None:
    twelve = "20" + with_check_digit("250601123")
    assert parse_personnummer(twelve, today=TODAY).canonical == twelve


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "81121898",
        "811218-98765",
        "1981121898765",
        "811218--9876",
        "811218/9876",
        "81121a-9876",
        "8112-18-9876",
        "D-0001",
    ],
)
def test_values_without_the_shape_of_a_personnummer_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        parse_personnummer(value, today=TODAY)


def test_future_dates_use_the_real_date_when_today_is_not_given() -> None:
    next_year = date.today().year + 1
    body = f"{next_year}0101"
    with pytest.raises(ValidationError):
        parse_personnummer(body[:2] + with_check_digit(body[2:] + "123"))


# --- Keys --------------------------------------------------------------------------------------


def test_different_hmac_keys_give_different_pseudonyms(settings) -> None:
    settings.PARTICIPANT_HMAC_KEY = "key-one"
    first = participant_ref_from(personnummer=TEN)
    settings.PARTICIPANT_HMAC_KEY = "key-two"
    second = participant_ref_from(personnummer=TEN)
    settings.PARTICIPANT_HMAC_KEY = "key-one"
    assert first != second
    assert participant_ref_from(personnummer=TEN) == first


def test_different_people_get_different_pseudonyms() -> None:
    other = with_check_digit("811218988")
    assert participant_ref_from(personnummer=other) != participant_ref_from(personnummer=TEN)


# --- participant_ref_from ----------------------------------------------------------------------


def test_both_participant_ref_and_personnummer_given_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        participant_ref_from(participant_ref="D-0001", personnummer=TEN)
    assert caught.value.code == "both"


@pytest.mark.parametrize(("ref", "pnr"), [("", ""), ("  ", "  "), (None, None)])
def test_neither_participant_ref_nor_personnummer_given_is_refused(ref, pnr) -> None:
    with pytest.raises(ValidationError) as caught:
        participant_ref_from(participant_ref=ref, personnummer=pnr)
    assert caught.value.code == "required"


@pytest.mark.parametrize("code", ["D-0001", "anst-4711", "X", "12345", "2024-0001"])
def test_contractors_own_code_is_passed_through(code: str) -> None:
    assert participant_ref_from(participant_ref=code) == code


def test_contractors_own_code_is_stripped_of_surrounding_spaces() -> None:
    assert participant_ref_from(participant_ref="  D-0001 ") == "D-0001"


@pytest.mark.parametrize("name", list(PERSON))
def test_valid_personnummer_given_as_participant_ref_is_pseudonymised(name: str) -> None:
    assert participant_ref_from(participant_ref=PERSON[name]) == participant_ref_from(
        personnummer=TEN
    )


def test_invalid_personnummer_given_as_personnummer_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        participant_ref_from(personnummer=wrong_check_digit("811218987"))
    assert caught.value.code == "invalid_personnummer"


@pytest.mark.parametrize(
    "value",
    [
        wrong_check_digit("811218987"),
        "19" + wrong_check_digit("811218987"),
        with_check_digit("810230987"),  # 30 February
        "20" + with_check_digit("301231123"),  # born in 2030
    ],
)
def test_personnummer_shaped_invalid_participant_ref_is_refused(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        participant_ref_from(participant_ref=value)
    assert caught.value.code == "personnummer_like"


# --- Never showing the number ------------------------------------------------------------------


def _error_text(error: ValidationError) -> str:
    return " ".join([str(error), repr(error), *error.messages])


BAD_LUHN = wrong_check_digit("811218987")
IMPOSSIBLE_DATE = with_check_digit("810230987")  # 30 February
BORN_2030 = with_check_digit("301231123")


@pytest.mark.parametrize(
    ("value", "ten", "century"),
    [
        *((value, BAD_LUHN, "19") for value in formats(BAD_LUHN, "19").values()),
        *((value, IMPOSSIBLE_DATE, "19") for value in formats(IMPOSSIBLE_DATE, "19").values()),
        (f"20{BORN_2030[:6]}-{BORN_2030[6:]}", BORN_2030, "20"),
        (f"20{BORN_2030}", BORN_2030, "20"),
    ],
)
def test_error_messages_never_contain_the_number(value: str, ten: str, century: str) -> None:
    for call in (
        lambda: parse_personnummer(value, today=TODAY),
        lambda: participant_ref_from(personnummer=value),
        lambda: participant_ref_from(participant_ref=value),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert_no_number(_error_text(caught.value), ten, century)


def test_error_for_both_given_does_not_contain_the_number() -> None:
    with pytest.raises(ValidationError) as caught:
        participant_ref_from(participant_ref="D-1", personnummer=PERSON["YYYYMMDD-NNNN"])
    assert_no_number(_error_text(caught.value))


def test_repr_and_str_of_a_personnummer_never_show_it() -> None:
    parsed = parse_personnummer(PERSON["YYYYMMDD-NNNN"], today=TODAY)
    shown = " ".join([repr(parsed), str(parsed), f"{parsed}", f"{parsed!r}", repr([parsed])])
    assert_no_number(shown)
    assert TEN[:6] not in shown
    assert "redacted" in shown
    assert isinstance(parsed, Personnummer)


def test_pseudonym_does_not_contain_the_number() -> None:
    pseudonym = pseudonym_for(parse_personnummer(TEN, today=TODAY))
    assert_no_number(pseudonym)


# --- Privacy: nothing reaches the logs or the database ------------------------------------------


@pytest.fixture
def everything_logged(caplog) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every log record at DEBUG, SQL queries included."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = forced


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.append(repr(record.__dict__))  # extras, e.g. the SQL and params of a query
    return "\n".join(parts)


def _database_text() -> str:
    """Every value of every column of every table, as text."""
    parts = []
    for model in apps.get_models(include_auto_created=True):
        columns = [field.attname for field in model._meta.concrete_fields]
        parts.extend(repr(row) for row in model._base_manager.values_list(*columns))
    with connection.cursor() as cursor:  # also tables with no model, e.g. django_migrations
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


@pytest.mark.django_db
def test_personnummer_in_participant_ref_never_reaches_the_logs_or_the_database(
    everything_logged,
) -> None:
    report = ReportFactory()  # quarter 2024-01-01..2024-03-31
    group = TargetGroup.objects.get(code="youth")
    everything_logged.clear()
    typed = [*PERSON.values(), f"{TEN[:6]}\u2013{TEN[6:]}"]

    def new_row(index: int, value: str) -> PlacementRow:
        start = date(2024, 1, 1) + timedelta(days=3 * index)  # no two rows overlap
        return PlacementRow(
            report=report,
            participant_ref=value,
            target_group=group,
            start_date=start,
            end_date=start + timedelta(days=1),
            hours=Decimal(8),
        )

    for index, value in enumerate(typed):  # straight save(), as an import or a script would
        new_row(index, value).save()
    for index, value in enumerate(typed, start=len(typed)):  # validated, as a form would
        row = new_row(index, value)
        row.full_clean()
        row.save()

    pseudonym = participant_ref_from(personnummer=TEN)
    stored = list(PlacementRow.objects.values_list("participant_ref", flat=True))
    assert stored == [pseudonym] * 2 * len(typed)
    assert all(ref.startswith("pn-") for ref in stored)

    logs = _log_text(everything_logged)
    assert "INSERT INTO" in logs  # the queries really were logged
    assert pseudonym in logs
    assert_no_number(logs)

    database = _database_text()
    assert pseudonym in database  # the dump really reached the rows
    assert_no_number(database)


@pytest.mark.django_db
def test_mistyped_personnummer_is_refused_without_reaching_the_logs_or_the_database(
    everything_logged,
) -> None:
    report = ReportFactory()
    group = TargetGroup.objects.get(code="youth")
    everything_logged.clear()
    mistyped = wrong_check_digit("811218987")
    row = PlacementRow(
        report=report,
        participant_ref=f"{mistyped[:6]}-{mistyped[6:]}",
        target_group=group,
        start_date=date(2024, 1, 1),
        end_date=date(2024, 1, 5),
        hours=Decimal(8),
    )

    with pytest.raises(ValidationError) as caught:
        row.full_clean()
    assert "participant_ref" in caught.value.message_dict
    with pytest.raises(ValidationError):
        row.save()

    assert not PlacementRow.objects.exists()
    assert_no_number(_log_text(everything_logged), mistyped)
    assert_no_number(_database_text(), mistyped)
