"""Swedish everywhere in Swedish mode, English in English mode (issue 12): the admin's words, the
error and password-reset pages, number and date formats, the API's messages, the annual report's
headings and the read log."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import formats, translation
from django.views.defaults import server_error
from rest_framework.test import APIClient

import core.migrations
from contracts import annual_output
from contracts.annual import annual_report
from core import audit
from core.models import ReadLog
from tests.factories import ContractFactory, ContractorUserFactory, ReportFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogue")]


def _in(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


# --- The admin ------------------------------------------------------------------------------


def test_the_admin_says_andra_for_change_and_the_language_button_is_not_byt(client):
    contract = ContractFactory()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    _in(client, "sv")

    index = client.get(reverse("admin:index")).content.decode()
    change = client.get(reverse("admin:contracts_contract_change", args=[contract.pk]))

    assert ">Ändra<" in index and ">Byt<" not in index
    assert "| Ändra avtal |" in change.content.decode()
    assert ">Byt<" not in change.content.decode()
    portal_button = client.get(reverse("dashboard:index")).content.decode()
    assert ">Välj</button>" in portal_button


def test_the_admin_search_box_is_named_in_the_readers_language(client):
    ContractFactory()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    swedish = _in(client, "sv").get(reverse("admin:contracts_contract_changelist")).content
    english = _in(client, "en").get(reverse("admin:contracts_contract_changelist")).content

    assert 'alt="Sök"' in swedish.decode() and 'alt="Search"' not in swedish.decode()
    assert 'alt="Search"' in english.decode()


def test_the_password_page_of_the_admin_is_in_one_language_whichever_came_first(client):
    user = UserFactory(username="someone")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:auth_user_password_change", args=[user.pk])

    swedish = _in(client, "sv").get(url).content.decode()
    english = _in(client, "en").get(url).content.decode()

    assert "Om det stängs av går användarens nuvarande lösenord förlorat." in swedish
    assert "Whether the user will be able to authenticate" not in swedish
    assert "If disabled, the current password for this user will be lost." in english
    assert "Om användaren kommer att kunna" not in english


# --- Error and password-reset pages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "header"),
    [
        ("sv", "Sidan finns inte", "Uppföljning av sociala krav"),
        ("en", "Page not found", "Social clause compliance"),
    ],
)
def test_a_missing_page_is_the_sites_own_page_in_the_readers_language(
    client, language, title, header
):
    page = _in(client, language).get("/no-such-page/")

    assert page.status_code == 404
    html = page.content.decode()
    assert f"<h1>{title}</h1>" in html and header in html
    assert f'<html lang="{language}"' in html
    assert "Django" not in html


def test_a_forbidden_page_is_the_sites_own_page(client):
    other = UserFactory(username="someone")
    client.force_login(UserFactory(username="officer-x", groups=["officers"], is_staff=True))

    page = _in(client, "sv").get(reverse("admin:auth_user_change", args=[other.pk]))

    assert page.status_code == 403
    html = page.content.decode()
    assert "<h1>Ingen behörighet</h1>" in html and "Uppföljning av sociala krav" in html
    assert "Django" not in html


def test_a_server_error_is_the_sites_own_page():
    request = RequestFactory().get("/")
    with translation.override("sv"):
        swedish = server_error(request).content.decode()
    with translation.override("en"):
        english = server_error(request).content.decode()

    assert "<h1>Något gick fel</h1>" in swedish and "Uppföljning av sociala krav" in swedish
    assert "<h1>Something went wrong</h1>" in english
    assert "Django" not in swedish + english


def test_password_reset_is_branded_and_in_the_readers_language_from_start_to_end(client):
    user = UserFactory(username="forgetful", email="glomsk@example.se")

    form = _in(client, "sv").get(reverse("password_reset")).content.decode()
    assert "<h1>Nytt lösenord</h1>" in form and "Uppföljning av sociala krav" in form
    assert "Django" not in form

    sent = client.post(reverse("password_reset"), {"email": user.email}, follow=True)
    done = sent.content.decode()
    assert "Om det finns ett konto med e-postadressen du angav" in done
    assert "Django" not in done
    [message] = mail.outbox
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    path = link[link.index("/accounts/reset/") :].strip()

    confirm = client.get(path, follow=True).content.decode()
    assert "Välj ett nytt lösenord" in confirm and 'name="new_password1"' in confirm
    assert "Django" not in confirm

    broken = _in(client, "en").get("/accounts/reset/MQ/not-a-token/").content.decode()
    assert "The password reset link was invalid" in broken and "Django" not in broken


# --- Formats ----------------------------------------------------------------------------------


def test_swedish_numbers_are_grouped_by_thousands_with_a_no_break_space():
    with translation.override("sv"):
        assert formats.number_format(Decimal("85000000.00"), 2) == "85\xa0000\xa0000,00"
        assert formats.localize(1074) == "1\xa0074"
    with translation.override("en"):
        assert formats.number_format(Decimal("85000000.00"), 2) == "85,000,000.00"


def test_dates_are_iso_and_times_24_hour_in_english_too():
    moment = datetime(2026, 3, 31, 14, 5)
    for language in ("sv", "en"):
        with translation.override(language):
            assert formats.date_format(moment.date(), "SHORT_DATE_FORMAT") == "2026-03-31"
            assert formats.time_format(time(14, 5)) == "14:05"
            assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "2026-03-31 14:05"
    with translation.override("en"):
        assert formats.date_format(moment.date()) == "31 March 2026"
    with translation.override("sv"):
        assert formats.date_format(moment.date()) == "31 mars 2026"


def test_years_on_the_dashboard_are_not_grouped_like_amounts(client):
    ContractFactory(start_date=date(2024, 1, 1), end_date=date(2030, 12, 31))
    client.force_login(UserFactory(username="boss", groups=["managers"]))

    html = _in(client, "sv").get(reverse("dashboard:index")).content.decode()

    year = str(date.today().year)
    assert f"Sociala krav {year}," in html
    assert f"{year[0]}\xa0{year[1:]}" not in html


# --- The API's messages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "number", "day"),
    [
        (
            "sv",
            "Ett giltigt nummer krävs.",
            "Datum har fel format. Använd ett av dessa format istället: ÅÅÅÅ-MM-DD.",
        ),
        (
            "en",
            "A valid number is required.",
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
        ),
    ],
)
def test_the_apis_field_errors_are_in_the_language_of_the_request(language, number, day):
    user = ContractorUserFactory()
    report = ReportFactory(
        contract=ContractFactory(contractor=user.contractor_membership.contractor)
    )
    api = APIClient()
    api.force_authenticate(user)

    response = api.patch(
        f"/api/v1/reports/{report.pk}/",
        {"rows": [{"hours": "många", "start_date": "31/12/2026"}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    errors = response.json()["rows"]["0"]
    assert errors["hours"] == [number]
    assert errors["start_date"] == [day]


def test_the_apis_field_errors_are_swedish_when_the_request_names_no_language():
    user = ContractorUserFactory()
    report = ReportFactory(
        contract=ContractFactory(contractor=user.contractor_membership.contractor)
    )
    api = APIClient()
    api.force_authenticate(user)

    response = api.patch(f"/api/v1/reports/{report.pk}/", {"rows": [{"hours": "x"}]}, format="json")

    assert response.json()["rows"]["0"]["hours"] == ["Ett giltigt nummer krävs."]


# --- The annual report ------------------------------------------------------------------------


def test_every_column_of_the_annual_report_has_a_heading_in_words():
    report = annual_report(year=2025)
    for key, _title, frame in report.tables():
        unnamed = [
            column
            for column in frame.columns
            if column not in annual_output.COLUMNS and column not in annual_output.HIDDEN
        ]
        assert not unnamed, f"table {key}: no heading for {unnamed}"
    with translation.override("sv"):
        headings = {h for table in annual_output.tables(report) for h in table.headings}
    assert "avtal" in headings  # the benchmark summary's "contracts" column
    assert "contracts" not in headings


# --- The read log -----------------------------------------------------------------------------


def test_the_read_log_stores_a_code_and_shows_it_in_the_readers_language(client):
    officer = UserFactory(username="reader", groups=["officers"], is_staff=True)
    audit.read_logged(user=officer, what=audit.What.REVIEW, object_ids=[1, 2])
    [read] = ReadLog.objects.all()
    assert read.what == "rows_review"

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:core_readlog_changelist")
    swedish = _in(client, "sv").get(url).content.decode()
    english = _in(client, "en").get(url).content.decode()

    assert '<td class="field-what">deltagarrader (granskningssidan)</td>' in swedish
    assert '<td class="field-what">placement rows (review page)</td>' in english


def test_the_migration_gives_the_stored_english_texts_their_codes():
    name = next(
        module.name
        for module in pkgutil.iter_modules(core.migrations.__path__)
        if module.name.endswith("_i18n_readlog_what")
    )
    migration = importlib.import_module(f"core.migrations.{name}")
    old = {text: ReadLog.objects.create(what=text) for text in migration.CODES.values()}
    untouched = ReadLog.objects.create(what="something else")

    migration.texts_to_codes(apps, None)

    for text, read in old.items():
        read.refresh_from_db()
        assert read.what in ReadLog.What.values
        assert migration.CODES[read.what] == text
    untouched.refresh_from_db()
    assert untouched.what == "something else"
    migration.codes_to_texts(apps, None)
    assert set(ReadLog.objects.values_list("what", flat=True)) == {
        *migration.CODES.values(),
        "something else",
    }


# --- Benchmark texts --------------------------------------------------------------------------


def test_benchmark_rates_and_bands_are_written_in_the_readers_language():
    from contracts.benchmarks import per_msek_text
    from contracts.models import BenchmarkBand

    band = BenchmarkBand(
        from_msek=Decimal("200.0"),
        placements_low=Decimal("0.03"),
        placements_high=Decimal("0.08"),
        weeks_low=Decimal(1),
        weeks_high=Decimal(3),
    )
    half = BenchmarkBand(from_msek=Decimal("0.5"))
    with translation.override("sv"):
        assert str(band) == "från 200 MSEK" and str(half) == "från 0,5 MSEK"
        assert per_msek_text(Decimal("0.06")) == "0,06"  # not "0,0"
    with translation.override("en"):
        assert str(band) == "from 200 MSEK" and str(half) == "from 0.5 MSEK"
        assert per_msek_text(Decimal("1234.5")) == "1,234.50"
    assert per_msek_text(None) == "–"


def test_amounts_are_rounded_half_up_not_cut_off():
    from internships.templatetags.ui import amount

    with translation.override("sv"):
        shown = [amount(Decimal(x)) for x in ("14.86", "2.99", "2.45", "7000", "1234.54")]
    assert shown == ["14,9", "3", "2,5", "7\xa0000", "1\xa0234,5"]


def test_chart_values_are_rounded_half_up_as_on_the_pages():
    from core import charts

    with translation.override("sv"):
        svg = charts.bar_chart(
            [("Norr", Decimal("12.86")), ("Söder", Decimal("2.99"))], title="Veckor"
        )
    # Written at the bar's end and in its tooltip; cut off, they read "12,8" and "2,9".
    assert ">12,9</text>" in svg and "Norr: 12,9<" in svg
    assert ">3</text>" in svg and "Söder: 3<" in svg
