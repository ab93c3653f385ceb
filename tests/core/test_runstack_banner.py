"""What ``make run`` prints when it starts: only what a user can act on."""

from __future__ import annotations

import io

from internships.management.commands.runstack import Command


def _banner(addr: str) -> str:
    out = io.StringIO()
    Command(stdout=out)._banner(addr)
    return out.getvalue()


def test_the_banner_says_when_site_url_does_not_match_the_address(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"

    banner = _banner("127.0.0.1:8080")

    assert "SITE_URL=http://127.0.0.1:8000" in banner
    assert "SITE_URL=http://127.0.0.1:8080" in banner


def test_the_banner_is_quiet_about_site_url_when_it_matches(settings):
    settings.SITE_URL = "http://127.0.0.1:8080/"

    banner = _banner("127.0.0.1:8080")

    assert "SITE_URL" not in banner
    assert "http://127.0.0.1:8080/" in banner
    assert "docs/DEPLOYMENT.md" in banner  # the development server's warning, said once
