"""Validation of Swedish organisationsnummer."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.luhn import luhn_valid

# ASCII digits only: "\d" also matches e.g. Arabic-Indic digits, which would slip past the unique
# constraint as a second spelling of the same number.
#: Also the API schema's ``pattern`` (JSON Schema's ``\d`` is ASCII only).
ORG_NUMBER_PATTERN = r"^(\d{6})-?(\d{4})$"
_ORG_NUMBER = re.compile(ORG_NUMBER_PATTERN, re.ASCII)


def normalise_org_number(value: str) -> str:
    """Return ``NNNNNN-NNNN`` for a valid organisationsnummer, or raise ``ValidationError``.

    Both ``5560360793`` and ``556036-0793`` are accepted; the stored form always has the hyphen.
    """
    match = _ORG_NUMBER.match((value or "").strip())
    if not match:
        raise ValidationError(
            _("Enter an organisation number in the form NNNNNN-NNNN."), code="format"
        )
    digits = match.group(1) + match.group(2)
    if not luhn_valid(digits):
        raise ValidationError(
            _("The organisation number's check digit is wrong (Luhn check failed)."),
            code="checksum",
        )
    return f"{match.group(1)}-{match.group(2)}"


def validate_org_number(value: str) -> None:
    """Field validator: the value must be a valid organisationsnummer, with or without hyphen."""
    normalise_org_number(value)
