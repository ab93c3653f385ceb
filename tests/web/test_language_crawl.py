"""Every page speaks one language: a crawl of the site, as each demo role, in Swedish and English.

A visitor (the login and password-reset pages), then each role (contractor, officer, manager,
superuser) logged in on the demo data, follows every same-site link it finds from its start page,
with the language cookie set. A page fails if its interface text (and the titles, labels and alt
texts a person reads) holds a word of the other language from the lists below, or a year grouped
like an amount ("2 026"). Text that is data (the demo's contract titles, names and notes are
Swedish in both languages) is taken out first: every text the database holds outside choice
fields is removed from the page before the words are looked for, and no listed word may itself be
part of what people entered.

The crawl is bounded so it stays fast: each URL once, and one page of each kind (URLs that differ
only by an object id, or only by a query string, are the same kind); a role reads only the kinds
no role before it has read. No downloads, no logout, no language switch, no API. A page a role may
not open (403) is read too: it is the site's own page.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from django.test import Client, override_settings

from contracts.models import Contract
from contracts.services import compliance_run
from internships.demo import seed_demo

pytestmark = pytest.mark.usefixtures("compiled_catalogue")

DEMO_DAY = date(2026, 11, 28)
ROLES = ("anonymous", "entreprenor1", "matchare", "officer", "manager", "admin")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

#: Words of English interface text that must not show in Swedish mode (whole words, case kept).
ENGLISH = [
    "Add",
    "Change",
    "Save",
    "Delete",
    "Search",
    "Yes",
    "No",
    "View",
    "History",
    "Home",
    "Log out",
    "Submitted",
    "submitted",
    "Approved",
    "approved",
    "Rejected",
    "rejected",
    "Draft",
    "draft",
    "Superseded",
    "Overdue",
    "overdue",
    "Contract",
    "contract",
    "contracts",
    "Clause",
    "clause",
    "clauses",
    "Report",
    "report",
    "reports",
    "placement",
    "placements",
    "weeks",
    "target group",
    "on track",
    "at risk",
    "behind",
    "breached",
    "below the band",
    "within the band",
    "above the band",
    "Django administration",
    "Django site admin",
    "Byt",
    "None",
    "True",
    "False",
    "Unknown",
    "and",
    "Select",
    "Show",
    "hours",
    "Start date",
    "End date",
    "Review",
    "Upload",
    "Submit",
    "Download",
    "Export",
    "Due",
    "due",
    "Target",
    "Alerts",
    "Dashboard",
    "Participant",
    "Access",
    "Periodic",
    "Created",
    "Changed",
    "Deleted",
]
#: Words of Swedish interface text that must not show in English mode.
SWEDISH = [
    "Ändra",
    "Spara",
    "Sök",
    "Radera",
    "Lägg till",
    "Visa",
    "Historik",
    "Hem",
    "Logga ut",
    "Inlämnad",
    "inlämnad",
    "Godkänd",
    "godkänd",
    "Avvisad",
    "avvisad",
    "Utkast",
    "utkast",
    "Försenad",
    "försenad",
    "Avtal",
    "avtal",
    "Klausul",
    "klausul",
    "klausuler",
    "Rapport",
    "rapporter",
    "Django-administration",
    "Ja",
    "Nej",
    "Okänd",
    "Välj",
    "Byt",
    "Rapporter",
    "Praktikplatser",
    "Praktikveckor",
    "Timmar",
    "Startdatum",
    "Slutdatum",
    "Granska",
    "Skicka in",
    "Ladda upp",
    "Ladda ner",
    "inga",
    "Inga",
    "ingen",
    "Larm",
    "Översikt",
    "Deltagare",
]
#: Never followed: they change state, leave the site's pages or answer a file; and two admin
#: sections of the superuser whose apps mark none of their texts for translation (django-otp's
#: TOTP devices, django-celery-beat's schedules): operators' pages, left in English.
SKIPPED = re.compile(
    r"^/(?:accounts/logout|i18n/|api/|static/|media/|admin/otp_totp/|admin/django_celery_beat/)"
    r"|/(?:logout|delete|export|template|download)/"
    r"|report\.(?:pdf|xlsx|html)$|[?&](?:format|_popup|_to_field)="
)
#: A year written as a number grouped by thousands ("2 026", "2,026"): years are never grouped.
#: Only the years the demo data and its reports span (2015–2029): an amount such as 2 000 hours
#: is grouped as it should be.
GROUPED_YEAR = re.compile(r"(?<![\d\xa0,.])2[\xa0,]0(?:1[5-9]|2\d)(?![\d\xa0]|[,.]\d)")
ADMIN_ICON = re.compile(r"/admin/img/icon-(?:yes|no|unknown)\.svg$")
HIDDEN_TAGS = {"script", "style", "template"}
SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}


class _Page(HTMLParser):
    """The links and the visible text (plus the attributes a person reads) of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in HIDDEN_TAGS:
            self._hidden += 1
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if tag == "img" and ADMIN_ICON.search(values.get("src") or ""):
            return  # Django writes the alt text of its yes/no/unknown icons in English only
        for name in SHOWN_ATTRIBUTES:
            if values.get(name):
                self.text.append(values[name])
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.text.append(values["value"])

    def handle_endtag(self, tag):
        if tag in HIDDEN_TAGS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data)


def _data_texts(*, apps_of_people: tuple[str, ...]) -> list[str]:
    """Every text the database holds outside choice fields in models of ``apps_of_people``
    (titles, names, notes, roles): data a page shows as it was entered, in whichever language."""
    texts: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in apps_of_people or model.__name__.startswith("Historical"):
            continue
        fields = [
            field.name
            for field in model._meta.get_fields()
            if isinstance(field, (models.CharField, models.TextField))
            and not field.choices
            and field.concrete
            and field.name != "password"
        ]
        for values in model.objects.values_list(*fields) if fields else []:
            texts.update(value for value in values if isinstance(value, str) and len(value) > 1)
    return sorted(texts, key=len, reverse=True)


def _words(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\wåäöÅÄÖ])(?:" + "|".join(map(re.escape, words)) + r")(?![\wåäöÅÄÖ])")


def _shape(path: str, query: str) -> str:
    """A URL with its object ids and its query taken out: one page of each kind is read (another
    object, filter, sort order or page of a list shows the same interface text)."""
    return re.sub(r"/\d+(?=/)", "/N", path) + ("?" if query else "")


def _crawl(client: Client, start: str, shapes: set[str]) -> Iterator[tuple[str, str]]:
    """``(url, visible text)`` of every page reachable from ``start`` whose shape is not in
    ``shapes`` yet (the shapes read are added to it)."""
    queue, seen = [start], {start}
    while queue:
        url = queue.pop(0)
        response = client.get(url, follow=True)
        final = response.request["PATH_INFO"]
        # A page the role may not open answers 403 with a page of its own, read like the rest.
        assert response.status_code in {200, 403}, f"{url} answered {response.status_code}"
        if not response["Content-Type"].startswith("text/html"):
            continue
        page = _Page()
        page.feed(response.content.decode())
        yield final, "\n".join(page.text)
        for href in page.links:
            parts = urlsplit(urljoin(final, href))
            if parts.scheme not in {"", "http"} or parts.netloc not in {"", "testserver"}:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen or SKIPPED.search(target):
                continue
            seen.add(target)
            shape = _shape(parts.path, parts.query)
            if shape not in shapes:
                shapes.add(shape)
                queue.append(target)


def _entered() -> list[str]:
    """What people entered in our apps: no listed word may be part of it."""
    return _data_texts(apps_of_people=("procurement", "contracts", "internships"))


def _shown_as_data() -> re.Pattern[str]:
    """Every text a page may show as data, longest first: what people entered; Django's
    permission names, stored in English ("Can change contract"); and the read log's details
    ("report 105"), recorded as written at the time of the read."""
    texts = {*_entered(), *_data_texts(apps_of_people=("auth", "core"))}
    return re.compile("|".join(map(re.escape, sorted(texts, key=len, reverse=True))))


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The demo data set and a superuser, rolled back when the module is done."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            seed_demo(today=DEMO_DAY)
            compliance_run(as_of=DEMO_DAY, contracts=Contract.objects.all())
            User.objects.create_superuser("admin", "admin@example.se", "x")
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_page_is_in_one_language(demo_data, db, language: str) -> None:
    forbidden_words = ENGLISH if language == "sv" else SWEDISH
    # A listed word that is part of the data could not be told from it: the lists avoid them.
    entered = _entered()
    in_data = [word for word in forbidden_words if any(_words([word]).search(t) for t in entered)]
    assert not in_data, f"{in_data} are part of the demo data: take them off the list"
    forbidden = _words(forbidden_words)

    problems, pages, shapes = [], {}, set()
    # Each role reads the kinds of page no role before it has read (the superuser, last, reads
    # only what is its alone: users, groups, the read log).
    for role in ROLES:
        data = _shown_as_data()  # the roles before may have added to the read log
        client = Client()
        if role != "anonymous":
            client.force_login(User.objects.get(username=role))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        pages[role] = 0
        for url, text in _crawl(client, "/", shapes):
            pages[role] += 1
            for line in data.sub(" ", text).splitlines():
                for match in [*forbidden.finditer(line), *GROUPED_YEAR.finditer(line)]:
                    problems.append(f"{role} {url}: {match.group(0)!r} in {line.strip()[:120]!r}")
    assert all(pages.values()) and sum(pages.values()) > 50, f"too few pages were read: {pages}"
    assert not problems, f"{len(problems)} {language!r} page text(s) in the other language:\n" + (
        "\n".join(dict.fromkeys(problems))
    )
