"""The Luhn (mod 10) check used by Swedish organisationsnummer and personnummer."""


def luhn_valid(digits: str) -> bool:
    """Return True when the digit string passes the Luhn check.

    Swedish numbers weight the first digit by 2, which for a 10-digit number is the same as the
    classic right-to-left algorithm.
    """
    # isdigit() alone also accepts e.g. superscripts, which int() cannot read.
    if not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(digits: str) -> str:
    """Return the digit that makes ``digits + check`` pass the Luhn check (used by demo data)."""
    for candidate in "0123456789":
        if luhn_valid(digits + candidate):
            return candidate
    raise AssertionError("unreachable: one digit always completes a Luhn number")
