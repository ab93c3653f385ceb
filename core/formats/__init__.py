"""Our number and date formats: the locale modules below (``FORMAT_MODULE_PATH``) and the one rule
for a quantity written as text on a page or in a chart."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format


def amount(value: Decimal | float | int) -> str:
    """A quantity in the user's locale to one decimal, rounded half up as the engine rounds
    (Django's number_format cuts decimals off: 2.99 would read "2,9"), without decimals when
    it is whole."""
    value = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    places = 0 if value == value.to_integral_value() else 1
    return number_format(value, decimal_pos=places, use_l10n=True)
