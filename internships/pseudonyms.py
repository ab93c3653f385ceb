"""Pseudonymisation of participants (docs/RULES.md §5).

A contractor may identify a participant by its own stable code or by a Swedish personnummer. A
personnummer is validated and turned at once into a keyed HMAC, so the raw number is never stored
or logged and the same person is recognised across reports and contractors. Error messages never
repeat the number.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.luhn import luhn_valid

#: Prefix of every participant reference made from a personnummer.
PSEUDONYM_PREFIX = "pn-"
_PERSONNUMMER = re.compile(
    r"^(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+]?)(?P<serial>\d{4})$", re.ASCII
)
# Word processors and spreadsheets turn "-" into these; a number typed with one must still be
# recognised, or it would be stored raw as if it were the contractor's own code.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63"), "-")
#: Samordningsnummer add 60 to the day of birth.
_SAMORDNING_OFFSET = 60


@dataclass(frozen=True)
class Personnummer:
    """A validated personnummer in canonical 12-digit form (``YYYYMMDDNNNN``)."""

    canonical: str
    is_samordningsnummer: bool

    def __repr__(self) -> str:  # never show the number in a traceback or log
        return "Personnummer(<redacted>)"

    __str__ = __repr__


def _invalid() -> ValidationError:
    return ValidationError(_("Not a valid Swedish personnummer."), code="invalid_personnummer")


def _compact(value: str) -> str:
    """``value`` with ASCII digits, "-" for any dash and no whitespace (non-breaking included),
    so that every way of typing one number gives the same canonical form and pseudonym."""
    value = unicodedata.normalize("NFKC", value or "").translate(_DASHES)
    return "".join(
        str(unicodedata.decimal(char)) if char.isdecimal() else char
        for char in value
        if not char.isspace()
    )


def looks_like_personnummer(value: str) -> bool:
    """True when ``value`` has the shape of a personnummer (whether or not it is valid)."""
    return bool(_PERSONNUMMER.match(_compact(value)))


def parse_personnummer(value: str, *, today: date | None = None) -> Personnummer:
    """Validate a personnummer and return its canonical form.

    Accepts ``YYYYMMDD-NNNN``, ``YYYYMMDDNNNN``, ``YYMMDD-NNNN``, ``YYMMDDNNNN`` and ``YYMMDD+NNNN``
    (``+`` for people aged 100 or more). Checks the Luhn digit and that the date exists (a
    samordningsnummer's day + 60 accepted) and is not in the future.
    """
    match = _PERSONNUMMER.match(_compact(value))
    if not match:
        raise _invalid()
    today = today or date.today()  # noqa: DTZ011 - a birth date is a local calendar date
    yymmdd, serial, sep = match["yymmdd"], match["serial"], match["sep"]
    if not luhn_valid(yymmdd + serial):
        raise _invalid()
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    is_samordning = day > _SAMORDNING_OFFSET
    if is_samordning:
        day -= _SAMORDNING_OFFSET
    if match["century"]:
        if sep == "+":
            raise _invalid()  # the "+" only has a meaning in the 10-digit form
        year = int(match["century"]) * 100 + yy
    else:
        # The latest year ending in yy that is not in the future; "+" means a hundred years more.
        year = today.year - (today.year - yy) % 100
        if sep == "+":
            year -= 100
    try:
        born = date(year, month, day)
    except ValueError:
        raise _invalid() from None
    if born > today:
        if match["century"]:
            raise _invalid()
        # A 10-digit number whose date is later this year belongs to the previous century.
        year -= 100
        try:
            born = date(year, month, day)
        except ValueError:  # 29 February of a century year that was not a leap year
            raise _invalid() from None
    return Personnummer(
        canonical=f"{year:04d}{yymmdd[2:]}{serial}", is_samordningsnummer=is_samordning
    )


def pseudonym_for(personnummer: Personnummer) -> str:
    """The participant reference of a person: a keyed HMAC of the canonical number."""
    digest = hmac.new(
        settings.PARTICIPANT_HMAC_KEY.encode(),
        personnummer.canonical.encode(),
        hashlib.sha256,
    ).hexdigest()
    return PSEUDONYM_PREFIX + digest[:40]


def participant_ref_from(*, participant_ref: str = "", personnummer: str = "") -> str:
    """Resolve what a contractor supplied into the reference we store.

    Exactly one of the two must be given. A personnummer is pseudonymised; so is a participant
    reference that is in fact a valid personnummer, because a raw number must never be stored.
    A participant_ref shaped like a personnummer but failing validation is refused, since it is
    most likely a mistyped number.
    """
    participant_ref = (participant_ref or "").strip()
    personnummer = (personnummer or "").strip()
    if participant_ref and personnummer:
        raise ValidationError(
            _("Give either a participant reference or a personnummer, not both."), code="both"
        )
    if personnummer:
        return pseudonym_for(parse_personnummer(personnummer))
    if not participant_ref:
        raise ValidationError(
            _("A participant reference or a personnummer is required."), code="required"
        )
    if looks_like_personnummer(participant_ref):
        try:
            return pseudonym_for(parse_personnummer(participant_ref))
        except ValidationError:
            raise ValidationError(
                _(
                    "This participant reference looks like a personnummer but is not a valid one. "
                    "Use your own code for the person, or a valid personnummer."
                ),
                code="personnummer_like",
            ) from None
    return participant_ref
