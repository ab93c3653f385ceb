"""The admin is usable: every model is registered and its pages open for the right people."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from internships.demo import seed_demo

pytestmark = pytest.mark.django_db

OUR_APPS = {"core", "procurement", "contracts", "internships"}


def _our_models():
    from django.apps import apps

    # The audit trail's historical models are shown through their model's "History" page.
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS and not model.__name__.startswith("Historical")
    ]


def test_every_model_is_registered_in_the_admin():
    missing = [model.__name__ for model in _our_models() if not admin.site.is_registered(model)]
    assert missing == []


def test_every_changelist_and_change_page_opens_for_a_superuser(client, django_user_model, rf):
    seed_demo()
    call_command("evaluate_compliance")  # snapshots, alerts and notifications to look at
    root = django_user_model.objects.create_superuser("root", "root@example.se", "x")
    client.force_login(root)
    request = rf.get("/admin/")
    request.user = root
    for model in _our_models():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        if admin.site._registry[model].has_add_permission(request):
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert client.get(add).status_code == 200, add
        obj = model.objects.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change


def test_officer_logs_in_to_the_admin_and_sees_the_demo_contracts(client):
    seed_demo()
    response = client.post(
        reverse("admin:login"),
        {"username": "officer", "password": "demo1234", "next": "/admin/"},
        follow=True,
    )
    assert response.status_code == 200
    page = client.get(reverse("admin:contracts_contract_changelist"))
    assert page.status_code == 200
    assert "K-2024-102" in page.content.decode()
    assert "Råslätt centrum, ombyggnad" in page.content.decode()


def test_manager_can_view_but_not_change_contracts(client):
    from contracts.models import Contract

    seed_demo()
    client.login(username="manager", password="demo1234")
    contract = Contract.objects.first()
    assert client.get(reverse("admin:contracts_contract_changelist")).status_code == 200
    change_url = reverse("admin:contracts_contract_change", args=[contract.pk])
    response = client.post(change_url, {"title": "Hijacked"})
    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.title != "Hijacked"


def test_contractor_user_cannot_enter_the_admin(client):
    seed_demo()
    client.login(username="entreprenor1", password="demo1234")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_admin_refuses_milestones_out_of_order_and_saves_nothing(client, officer):
    from contracts.models import ClauseMilestone
    from tests.factories import SocialClauseFactory

    clause = SocialClauseFactory()
    client.force_login(officer)
    officer.is_staff = True
    officer.save()
    url = reverse("admin:contracts_socialclause_change", args=[clause.pk])
    data = {
        "contract": clause.contract_id,
        "kind": "numeric",
        "metric": clause.metric,
        "target": "10",
        "full_time_hours_per_week": "40",
        "start_date": clause.start_date.isoformat(),
        "due_date": clause.due_date.isoformat(),
        "min_placement_weeks": "0",
        "tolerance_pct": "10",
        "penalty_per_unit_sek": "0",
        "text": "",
        "milestones-TOTAL_FORMS": "2",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "1000",
        "milestones-0-date": "2024-12-31",
        "milestones-0-cumulative_target": "6",
        "milestones-1-date": "2025-06-30",
        "milestones-1-cumulative_target": "4",
    }
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with errors
    assert response.context["errors"]
    assert ClauseMilestone.objects.count() == 0

    data["milestones-1-cumulative_target"] = "8"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert list(clause.milestones.values_list("cumulative_target", flat=True)) == [6, 8]
