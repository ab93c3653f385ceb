"""Colours of the interface meet WCAG AA contrast (4.5:1 for text), and a status is never shown
by colour alone: every badge carries its status in words and a symbol."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from contracts.choices import ClauseStatus, PeriodState
from internships.choices import ReportStatus
from internships.templatetags.ui import report_badge, state_badge, status_badge

CSS = Path(settings.BASE_DIR) / "core" / "static" / "core"


def _luminance(hex_colour: str) -> float:
    if len(hex_colour) == 4:  # #abc
        hex_colour = "#" + "".join(2 * c for c in hex_colour[1:])
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _variables() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in ("app.css", "badges.css"):
        found |= dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", (CSS / name).read_text()))
    return found


def _rules(css: str):
    """(selector, colour, background) of every rule that sets both."""
    variables = _variables()

    def value(text: str) -> str:
        text = text.strip()
        match = re.fullmatch(r"var\(--([\w-]+)\)", text)
        return variables[match.group(1)] if match else text

    for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        colour = re.search(r"(?<![-\w])color:\s*([^;]+);", body)
        background = re.search(r"background:\s*([^;]+);", body)
        if colour and background:
            yield selector.strip(), value(colour.group(1)), value(background.group(1))


def test_known_contrast_values():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54


@pytest.mark.parametrize("name", ["app.css", "badges.css"])
def test_every_text_colour_on_its_background_meets_aa(name):
    rules = list(_rules((CSS / name).read_text()))
    assert rules, "no rule with both a colour and a background was found"
    failing = [
        (selector, fg, bg, round(contrast(fg, bg), 2))
        for selector, fg, bg in rules
        if fg.startswith("#") and bg.startswith("#") and contrast(fg, bg) < 4.5
    ]
    assert failing == []


def test_badges_say_the_status_in_words_and_with_a_symbol():
    for tag, choices in (
        (status_badge, ClauseStatus),
        (state_badge, PeriodState),
        (report_badge, ReportStatus),
    ):
        for choice in choices:
            html = str(tag(choice.value))
            assert str(choice.label) in html
            assert re.search(r'aria-hidden="true">\S+</span>', html), html
