"""The schema states the constraints the validation applies (core/api/schema.py): whatever the
schema calls valid, the serializers accept; what they refuse, the schema rules out."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from contracts.api.serializers import ClauseSerializer, ContractSerializer, MilestoneSerializer
from core.api.schema import NO_NUL, decimal_pattern
from internships.api.serializers import RejectionSerializer, RowSerializer

#: Every decimal a client writes.
DECIMALS = [
    (ContractSerializer, "value_sek"),
    (MilestoneSerializer, "cumulative_target"),
    (ClauseSerializer, "target"),
    (ClauseSerializer, "min_placement_weeks"),
    (ClauseSerializer, "tolerance_pct"),
    (ClauseSerializer, "penalty_per_unit_sek"),
    (RowSerializer, "hours"),
]
SAMPLES = [
    "",
    "-",
    ".",
    "-1",
    "0",
    "0.00",
    "0.001",
    "0.01",
    ".5",
    "1.",
    "1.5",
    "99.99",
    "100",
    "100.00",
    "100.01",
    "101",
    "1e3",
    " 1",
    "1,5",
    "9" * 15,
    "0" * 20 + "1",
]


def _field(serializer, name) -> serializers.DecimalField:
    return serializer().fields[name]


def _accepted(field, value: str) -> bool:
    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return False
    return True


@pytest.mark.parametrize(("serializer", "name"), DECIMALS)
def test_a_decimal_the_schema_allows_is_accepted_and_one_refused_is_ruled_out(serializer, name):
    field = _field(serializer, name)
    pattern = decimal_pattern(field)
    assert pattern, f"{name}: no pattern stated"
    assert re.fullmatch(pattern, "1")
    for value in SAMPLES:
        if re.fullmatch(pattern, value):
            assert _accepted(field, value), (name, value)
    # The values drf-spectacular's own pattern let through although they are refused:
    for value in ["", "-", "."] + ([] if field.min_value is None else ["-1"]):
        assert not _accepted(field, value)
        assert not re.fullmatch(pattern, value), (name, value)


@pytest.mark.parametrize(("serializer", "name"), DECIMALS)
@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_every_decimal_the_schema_allows_is_accepted(serializer, name, data):
    field = _field(serializer, name)
    value = data.draw(st.from_regex(decimal_pattern(field), fullmatch=True))
    assert _accepted(field, value), value


def test_the_rejection_comment_the_schema_allows_is_one_the_service_takes():
    pattern = RejectionSerializer().fields["comment"].validators
    regex = next(v.regex for v in pattern if hasattr(v, "regex"))
    assert not regex.search("   ")  # report_reject refuses a blank comment
    assert not regex.search("ok\x00")  # DRF refuses a NUL
    assert regex.search("Timmar saknas.")


def test_text_without_a_stated_form_is_stated_without_nul():
    assert re.fullmatch(NO_NUL, "Vätterhem AB")
    assert not re.fullmatch(NO_NUL, "a\x00b")
