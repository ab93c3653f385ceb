"""The contractor portal, through the pages a contractor uses (docs/API.md, issue 5)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import Contract
from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow
from internships.pseudonyms import parse_personnummer, pseudonym_for
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = pytest.mark.django_db

PERSONNUMMER = "19900101-0017"  # valid Luhn, used to check it never comes back


def _rows_post(rows: list[dict], *, initial: int = 0, extra: dict | None = None) -> dict:
    data = {
        "rows-TOTAL_FORMS": str(len(rows)),
        "rows-INITIAL_FORMS": str(initial),
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"rows-{index}-{key}"] = value
    data.update(extra or {})
    return data


def _row(**overrides) -> dict:
    row = {
        "participant_ref": "D-1",
        "personnummer": "",
        "target_group": "newly_arrived",
        "start_date": "2025-01-06",
        "end_date": "2025-02-28",
        "hours": "120,5",
        "role": "Snickare",
        "notes": "",
    }
    row.update(overrides)
    return row


def _edit_url(contract: Contract, period: str = "2025-01-01") -> str:
    return reverse("portal:report-edit", args=[contract.pk, period])


def test_contractor_sees_own_contract_with_clause_progress(client, contractor_user, contract):
    client.force_login(contractor_user)
    index = client.get(reverse("portal:index"))
    assert index.status_code == 200
    assert contract.reference in index.content.decode()
    detail = client.get(reverse("portal:contract", args=[contract.pk]))
    page = detail.content.decode()
    assert detail.status_code == 200
    assert 'class="progress"' in page  # the clause's progress bar
    assert "2025-01-01" in page  # a link to fill in the first period


def test_contractor_cannot_open_another_contractors_contract_or_report(
    client, contractor_user, contract, other_contract
):
    report = ReportFactory(contract=other_contract)
    client.force_login(contractor_user)
    assert client.get(reverse("portal:contract", args=[other_contract.pk])).status_code == 404
    assert client.get(reverse("portal:report", args=[report.pk])).status_code == 404
    assert client.get(reverse("portal:upload", args=[other_contract.pk])).status_code == 404
    assert client.post(reverse("portal:report-submit", args=[report.pk])).status_code == 404
    assert client.get(reverse("portal:index")).content.decode().count(other_contract.reference) == 0


def test_portal_is_for_contractors_and_asks_anonymous_users_to_log_in(client, officer, contract):
    response = client.get(reverse("portal:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(officer)
    assert client.get(reverse("portal:index")).status_code == 403


def test_typed_report_is_saved_as_draft_and_personnummer_becomes_a_pseudonym(
    client, contractor_user, contract
):
    client.force_login(contractor_user)
    rows = [_row(), _row(participant_ref="", personnummer=PERSONNUMMER, hours="40")]
    response = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))
    assert response.status_code == 302
    report = PlacementReport.objects.get(contract=contract)
    assert report.status == ReportStatus.DRAFT
    refs = sorted(report.rows.values_list("participant_ref", flat=True))
    assert refs[0] == "D-1" and refs[1].startswith("pn-")
    assert report.rows.get(participant_ref="D-1").hours == 120.5  # decimal comma accepted
    page = client.get(response["Location"]).content.decode()
    assert PERSONNUMMER not in page and "900101" not in page


def test_bad_rows_are_shown_on_the_form_and_nothing_is_saved(client, contractor_user, contract):
    client.force_login(contractor_user)
    rows = [
        _row(),
        _row(participant_ref="D-1", start_date="2025-02-01", end_date="2025-03-10"),  # overlap
        _row(participant_ref="D-3", start_date="2025-05-01", end_date="2025-05-10"),  # outside
    ]
    response = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))
    assert response.status_code == 200
    assert response.context["formset"].forms[2].errors  # the row outside the period
    assert any(form.errors for form in response.context["formset"].forms[:2])  # the overlap
    assert 'class="error-summary"' in response.content.decode()
    assert not PlacementReport.objects.exists()


def test_personnummer_typed_on_a_refused_form_is_not_echoed(client, contractor_user, contract):
    client.force_login(contractor_user)
    rows = [_row(participant_ref="", personnummer=PERSONNUMMER, end_date="2024-12-01")]
    response = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))
    assert response.status_code == 200
    assert PERSONNUMMER not in response.content.decode()
    assert not PlacementRow.objects.exists()


def test_add_row_button_adds_an_empty_row_without_saving(client, contractor_user, contract):
    client.force_login(contractor_user)
    response = client.post(_edit_url(contract), _rows_post([_row()], extra={"add_row": "1"}))
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 2
    assert not PlacementReport.objects.exists()


def test_removed_row_is_dropped_from_the_draft(client, contractor_user, contract):
    report = ReportFactory(contract=contract)
    RowFactory(report=report, participant_ref="KEEP")
    RowFactory(report=report, participant_ref="DROP")
    client.force_login(contractor_user)
    edit = client.get(_edit_url(contract))
    assert len(edit.context["formset"].initial_forms) == 2
    rows = [
        _row(participant_ref="KEEP", start_date="2025-01-01", end_date="2025-03-31", hours="100"),
        _row(participant_ref="DROP", start_date="2025-01-01", end_date="2025-03-31", DELETE="on"),
    ]
    response = client.post(_edit_url(contract), _rows_post(rows, initial=2, extra={"save": "1"}))
    assert response.status_code == 302
    assert list(report.rows.values_list("participant_ref", flat=True)) == ["KEEP"]


def _csv(lines: list[str]) -> io.BytesIO:
    content = ("\n".join(lines) + "\n").encode("utf-8")
    upload = io.BytesIO(content)
    upload.name = "rapport.csv"
    return upload


HEADER = "deltagare;målgrupp;startdatum;slutdatum;timmar"


def test_upload_with_a_bad_row_lists_every_problem_and_saves_nothing(
    client, contractor_user, contract
):
    client.force_login(contractor_user)
    bad = _csv([HEADER, "D-1;newly_arrived;2025-01-06;2025-02-28;120", "D-2;nobody;2025-01-06;x;8"])
    response = client.post(
        reverse("portal:upload", args=[contract.pk]), {"period": "2025-01-01", "file": bad}
    )
    assert response.status_code == 200
    problems = response.context["problems"]
    assert {(p.row, p.column) for p in problems} == {(3, "målgrupp"), (3, "slutdatum")}
    assert 'id="import-errors"' in response.content.decode()
    assert not PlacementReport.objects.exists()

    good = _csv(
        [HEADER, "D-1;newly_arrived;2025-01-06;2025-02-28;120", "D-2;youth;2025-01-06;2025-01-31;8"]
    )
    response = client.post(
        reverse("portal:upload", args=[contract.pk]), {"period": "2025-01-01", "file": good}
    )
    report = PlacementReport.objects.get(contract=contract)
    assert response["Location"] == reverse("portal:report", args=[report.pk])
    assert report.rows.count() == 2 and report.status == ReportStatus.DRAFT


def test_upload_into_a_draft_replaces_its_rows_once_confirmed(client, contractor_user, contract):
    report = ReportFactory(contract=contract)
    RowFactory(report=report, participant_ref="OLD")
    client.force_login(contractor_user)
    upload = _csv([HEADER, "NEW;newly_arrived;2025-01-06;2025-02-28;120"])
    asked = client.post(
        reverse("portal:upload", args=[contract.pk]), {"period": "2025-01-01", "file": upload}
    )
    assert asked.status_code == 200, asked.context["problems"]
    assert list(report.rows.values_list("participant_ref", flat=True)) == ["OLD"]
    response = _answer(client, contract, asked.content.decode(), "replace")
    assert response.status_code == 302
    assert list(report.rows.values_list("participant_ref", flat=True)) == ["NEW"]
    assert PlacementReport.objects.count() == 1


def test_submit_asks_for_confirmation_then_sends_the_report(client, contractor_user, contract):
    report = ReportFactory(contract=contract)
    RowFactory(report=report)
    client.force_login(contractor_user)
    confirm = client.get(reverse("portal:report-submit", args=[report.pk]))
    assert confirm.status_code == 200
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT  # looking at the confirmation changes nothing
    client.post(reverse("portal:report-submit", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.submitted_by == contractor_user
    # A sent report can no longer be edited from the portal.
    edit = client.get(_edit_url(contract))
    assert edit.status_code == 302 and edit["Location"].endswith(f"/reports/{report.pk}/")


def test_draft_is_deleted_only_after_confirmation(client, contractor_user, contract):
    report = ReportFactory(contract=contract)
    client.force_login(contractor_user)
    assert client.get(reverse("portal:report-delete", args=[report.pk])).status_code == 200
    assert PlacementReport.objects.filter(pk=report.pk).exists()
    client.post(reverse("portal:report-delete", args=[report.pk]))
    assert not PlacementReport.objects.filter(pk=report.pk).exists()


def _contracts_for(contractor, count: int) -> None:
    for _ in range(count):
        contract = ContractFactory(contractor=contractor)
        SocialClauseFactory(contract=contract)
        report = ReportFactory(contract=contract, status=ReportStatus.SUBMITTED)
        RowFactory(report=report)


def test_portal_pages_take_the_same_number_of_queries_for_1_and_6_contracts(
    client, contractor_user, contractor, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(contractor_user)
    counts = []
    for total in (1, 6):
        _contracts_for(contractor, total - Contract.objects.filter(contractor=contractor).count())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:index")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_pages_are_swedish_by_default_and_english_after_switching(
    client, contractor_user, contract
):
    client.force_login(contractor_user)
    swedish = client.get(reverse("portal:index")).content.decode()
    assert '<html lang="sv">' in swedish and "Mina avtal" in swedish
    client.post(reverse("set_language"), {"language": "en", "next": reverse("portal:index")})
    english = client.get(reverse("portal:index")).content.decode()
    assert '<html lang="en">' in english and "My contracts" in english


@pytest.mark.parametrize(
    ("username", "landing"),
    [("entreprenor1", "/portal/"), ("manager", "/dashboard/"), ("officer", "/admin/work-queue/")],
)
def test_each_demo_user_lands_on_their_page_after_logging_in(client, username, landing):
    from internships.demo import seed_demo

    seed_demo()
    response = client.post(
        reverse("login"), {"username": username, "password": "demo1234"}, follow=True
    )
    assert response.redirect_chain[-1][0] == landing
    assert response.status_code == 200


# --- The report form keeps what was typed (issue 12) -------------------------------------------


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return found[1]


def _pseudonym(personnummer: str) -> str:
    return pseudonym_for(parse_personnummer(personnummer))


def test_personnummer_is_kept_as_its_pseudonym_when_a_row_is_added_and_saved_later(
    client, contractor_user, contract, compiled_catalogue
):
    client.force_login(contractor_user)
    rows = [_row(participant_ref="", personnummer=PERSONNUMMER, role="Snickare")]
    added = client.post(_edit_url(contract), _rows_post(rows, extra={"add_row": "1"}))
    page = added.content.decode()
    assert added.status_code == 200
    assert len(added.context["formset"].forms) == 2
    assert "personnummer angivet" in page
    assert PERSONNUMMER not in page and "900101" not in page
    assert _pseudonym(PERSONNUMMER) not in page  # only signed, never as itself
    assert 'value="Snickare"' in page and 'value="120,5"' in page  # the other fields stay
    assert not PlacementReport.objects.exists()

    # The browser sends the page back as it is: the personnummer field empty, the kept one hidden.
    kept = _hidden(page, "rows-0-personnummer_kept")
    again = _row(participant_ref="", personnummer="", personnummer_kept=kept)
    saved = client.post(_edit_url(contract), _rows_post([again], extra={"save": "1"}))
    assert saved.status_code == 302
    row = PlacementRow.objects.get()
    assert row.participant_ref == _pseudonym(PERSONNUMMER)


def test_personnummer_is_kept_through_a_refused_save(client, contractor_user, contract):
    client.force_login(contractor_user)
    rows = [
        _row(participant_ref="", personnummer=PERSONNUMMER),
        _row(participant_ref="D-2", end_date="2024-12-01"),  # before the period, before start
    ]
    refused = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))
    page = refused.content.decode()
    assert refused.status_code == 200
    assert PERSONNUMMER not in page
    kept = _hidden(page, "rows-0-personnummer_kept")
    assert refused.context["formset"].forms[0].kept_pseudonym == _pseudonym(PERSONNUMMER)

    rows = [
        _row(participant_ref="", personnummer_kept=kept),
        _row(participant_ref="D-2", end_date="2025-01-31"),
    ]
    saved = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))
    assert saved.status_code == 302
    assert sorted(PlacementRow.objects.values_list("participant_ref", flat=True)) == sorted(
        ["D-2", _pseudonym(PERSONNUMMER)]
    )


def test_a_saved_draft_shows_personnummer_entered_instead_of_the_pseudonym_and_keeps_it(
    client, contractor_user, contract, compiled_catalogue
):
    report = ReportFactory(contract=contract)
    RowFactory(report=report, participant_ref=_pseudonym(PERSONNUMMER))
    client.force_login(contractor_user)
    edit = client.get(_edit_url(contract))
    page = edit.content.decode()
    assert "personnummer angivet" in page
    assert _pseudonym(PERSONNUMMER) not in page
    kept = _hidden(page, "rows-0-personnummer_kept")

    rows = [_row(participant_ref="", personnummer_kept=kept, hours="10")]
    response = client.post(_edit_url(contract), _rows_post(rows, initial=1, extra={"save": "1"}))
    assert response.status_code == 302
    assert list(report.rows.values_list("participant_ref", "hours")) == [
        (_pseudonym(PERSONNUMMER), Decimal(10))
    ]


def test_a_code_typed_next_to_a_kept_personnummer_is_refused_until_one_is_removed(
    client, contractor_user, contract
):
    client.force_login(contractor_user)
    first = client.post(
        _edit_url(contract),
        _rows_post([_row(participant_ref="", personnummer=PERSONNUMMER)], extra={"add_row": "1"}),
    )
    kept = _hidden(first.content.decode(), "rows-0-personnummer_kept")

    both = [_row(participant_ref="EGEN-1", personnummer_kept=kept)]
    refused = client.post(_edit_url(contract), _rows_post(both, extra={"save": "1"}))
    assert refused.status_code == 200
    assert "participant_ref" in refused.context["formset"].forms[0].errors
    assert not PlacementReport.objects.exists()

    forget = [_row(participant_ref="EGEN-1", personnummer_kept=kept, forget_personnummer="on")]
    saved = client.post(_edit_url(contract), _rows_post(forget, extra={"save": "1"}))
    assert saved.status_code == 302
    assert list(PlacementRow.objects.values_list("participant_ref", flat=True)) == ["EGEN-1"]


def test_a_forged_kept_personnummer_is_refused(client, contractor_user, contract):
    client.force_login(contractor_user)
    forged = [_row(participant_ref="", personnummer_kept=_pseudonym(PERSONNUMMER))]  # unsigned
    response = client.post(_edit_url(contract), _rows_post(forged, extra={"save": "1"}))
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["personnummer"]
    assert not PlacementReport.objects.exists()


def test_every_error_of_a_row_is_listed_named_by_row_and_marked_on_its_field(
    client, contractor_user, contract, compiled_catalogue
):
    client.force_login(contractor_user)
    rows = [
        _row(),
        # Three problems in row 2: a bad personnummer (serializer), no target group and hours
        # that are not a number (form).
        _row(participant_ref="", personnummer="19900101-0018", target_group="", hours="tolv"),
    ]
    response = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))
    page = response.content.decode()
    assert response.status_code == 200
    form = response.context["formset"].forms[1]
    assert set(form.errors) == {"personnummer", "target_group", "hours"}
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    assert summary.count("Rad 2") == 3 and "Rad 1" not in summary
    assert "Det är inte ett giltigt svenskt personnummer." in summary
    for name in ("personnummer", "target_group", "hours"):
        field_id = f"id_rows-1-{name}"
        tag = re.search(rf'<(?:input|select)[^>]*id="{field_id}"[^>]*>', page)[0]
        assert 'aria-invalid="true"' in tag
        assert f'aria-describedby="{field_id}_error"' in tag
        message = page.split(f'id="{field_id}_error"')[1].split("</div>")[0]
        assert "Rad 2" in message
        assert f'href="#{field_id}"' in summary
    assert 'aria-invalid="true"' not in page.split('id="id_rows-1-')[0]  # row 1 is not marked
    assert 'value="tolv"' in page  # what was typed is shown again, with its message
    assert "19900101-0018" not in page
    assert not PlacementReport.objects.exists()


def test_cross_row_errors_are_shown_even_when_another_row_has_unreadable_values(
    client, contractor_user, contract
):
    client.force_login(contractor_user)
    rows = [
        _row(),
        _row(start_date="2025-02-01", end_date="2025-03-10"),  # D-1 again: overlaps row 1
        _row(participant_ref="D-3", hours="x"),  # the form cannot read the hours
    ]
    response = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))
    forms = response.context["formset"].forms
    assert "hours" in forms[2].errors
    assert any("start_date" in form.errors for form in forms[:2])  # the overlap, found anyway


# --- Uploading into a period that has a draft asks first -----------------------------------


def _numbered_csv(count: int) -> io.BytesIO:
    return _csv(
        [HEADER] + [f"F-{number};newly_arrived;2025-01-06;2025-02-28;40" for number in range(count)]
    )


def _draft_with_rows(contract, count: int) -> PlacementReport:
    report = ReportFactory(contract=contract)
    for number in range(count):
        RowFactory(report=report, participant_ref=f"OLD-{number}")
    return report


def _upload(client, contract, upload) -> object:
    return client.post(
        reverse("portal:upload", args=[contract.pk]), {"period": "2025-01-01", "file": upload}
    )


def _answer(client, contract, page: str, confirm: str):
    return client.post(
        reverse("portal:upload", args=[contract.pk]),
        {"pending": _hidden(page, "pending"), "period": "2025-01-01", "confirm": confirm},
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("draft", "file"), [(4, 7), (1, 3), (5, 2)])
def test_upload_into_a_draft_with_rows_asks_with_both_counts_then_replaces(
    client, contractor_user, contract, compiled_catalogue, draft, file
):
    report = _draft_with_rows(contract, draft)
    client.force_login(contractor_user)
    asked = _upload(client, contract, _numbered_csv(file))
    page = asked.content.decode()
    assert asked.status_code == 200
    pending = asked.context["pending"]
    assert (pending.draft_rows, pending.file_rows) == (draft, file)
    question = asked.context["pending_question"]
    assert re.findall(r"\d+", question) == [str(draft), str(file)]
    assert question in page
    assert report.rows.count() == draft  # asking changes nothing

    replaced = _answer(client, contract, page, "replace")
    assert replaced["Location"] == reverse("portal:report", args=[report.pk])
    assert sorted(report.rows.values_list("participant_ref", flat=True)) == sorted(
        f"F-{number}" for number in range(file)
    )
    assert PlacementReport.objects.count() == 1


def test_the_replacement_question_is_in_swedish_with_the_counts(
    client, contractor_user, contract, compiled_catalogue
):
    _draft_with_rows(contract, 4)
    client.force_login(contractor_user)
    asked = _upload(client, contract, _numbered_csv(7))
    assert "Utkastet för perioden har 4 rader. Ersätt dem med filens 7 rader?" in (
        asked.content.decode()
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_refusing_the_replacement_changes_nothing(client, contractor_user, contract):
    report = _draft_with_rows(contract, 2)
    before = list(report.rows.order_by("id").values_list("id", "participant_ref"))
    client.force_login(contractor_user)
    asked = _upload(client, contract, _numbered_csv(3))
    kept = _answer(client, contract, asked.content.decode(), "keep")
    assert kept["Location"] == reverse("portal:report", args=[report.pk])
    assert list(report.rows.order_by("id").values_list("id", "participant_ref")) == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_replacement_asks_again_when_the_draft_changed_in_between(
    client, contractor_user, contract
):
    report = _draft_with_rows(contract, 2)
    client.force_login(contractor_user)
    asked = _upload(client, contract, _numbered_csv(3))
    RowFactory(report=report, participant_ref="ADDED")
    report.save()  # as the service does on every edit

    again = _answer(client, contract, asked.content.decode(), "replace")
    assert again.status_code == 200
    assert (again.context["pending"].draft_rows, again.context["pending"].file_rows) == (3, 3)
    assert report.rows.filter(participant_ref="ADDED").exists()  # nothing replaced yet
    replaced = _answer(client, contract, again.content.decode(), "replace")
    assert replaced.status_code == 302
    assert report.rows.count() == 3 and not report.rows.filter(participant_ref="ADDED").exists()


def test_a_forged_or_foreign_confirmation_replaces_nothing(
    client, contractor_user, contractor, contract
):
    report = _draft_with_rows(contract, 2)
    client.force_login(contractor_user)
    asked = _upload(client, contract, _numbered_csv(3))
    token = _hidden(asked.content.decode(), "pending")
    forged = client.post(
        reverse("portal:upload", args=[contract.pk]),
        {"pending": token[:-2] + "xx", "period": "2025-01-01", "confirm": "replace"},
    )
    assert forged.status_code == 200 and forged.context["problems"]
    colleague = ContractorUserFactory(contractor=contractor)
    client.force_login(colleague)
    foreign = _answer(client, contract, asked.content.decode(), "replace")
    assert foreign.status_code == 200 and foreign.context["problems"]
    assert sorted(report.rows.values_list("participant_ref", flat=True)) == ["OLD-0", "OLD-1"]


def test_upload_into_a_draft_without_rows_saves_without_asking(client, contractor_user, contract):
    report = ReportFactory(contract=contract)
    client.force_login(contractor_user)
    response = _upload(client, contract, _numbered_csv(2))
    assert response.status_code == 302
    assert report.rows.count() == 2


def test_upload_form_errors_are_marked_on_their_field_and_described(
    client, contractor_user, contract
):
    client.force_login(contractor_user)
    response = client.post(reverse("portal:upload", args=[contract.pk]), {"period": "2025-01-01"})
    page = response.content.decode()
    tag = re.search(r'<input[^>]*id="id_file"[^>]*>', page)[0]
    assert 'aria-invalid="true"' in tag
    described = re.search(r'aria-describedby="([^"]+)"', tag)[1].split()
    assert described == ["id_file_helptext", "id_file_error"]
    for name in described:
        assert f'id="{name}"' in page  # every id it names is on the page
