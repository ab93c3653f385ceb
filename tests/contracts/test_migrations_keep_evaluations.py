"""Issue 14, point 1: the migrations of the Swedish model keep every existing row and every
evaluation as it was.

``tests/data/pre14_demo.json`` was made with the code at ae87821, before the model layer
(``tests/data/pre14_demo_dump.py``, run from that commit's tree on a database migrated and
seeded with ``seed_demo``): the demo data's contractors, procurements, contracts, clauses,
milestones, reports and rows (users' references cleared: no evaluation reads them), and the
evaluation of every clause on seven days from before the contracts start to after they end.

The test migrates its database back to the migrations of that commit, inserts the rows with the
historical models of that state, migrates forward to today's migrations, and compares every row
and every evaluation with what the old code had.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from django.core import serializers
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from contracts.models import Contract, TargetGroup
from contracts.selectors import evaluate_clauses
from procurement.models import District

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "pre14_demo.json"
#: The issue-14 apps at ae87821 (the fixture records every app's latest migration then).
ISSUE_14_APPS = ("contracts", "internships", "procurement")


def _pre14_targets(data: dict) -> list[tuple[str, str]]:
    return [(app, name) for app, name in data["migrations"] if app in ISSUE_14_APPS]


def _insert(apps, data: dict, group_ids: dict[int, int], district_ids: dict[int, int]) -> None:
    """The fixture's objects, written with the historical models (no save(), no signals)."""
    by_model: dict[str, list] = {}
    through: list[tuple] = []
    for obj in data["objects"]:
        model = apps.get_model(obj["model"])
        for field in model._meta.concrete_fields:  # the fixture's times, not now
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                field.auto_now = field.auto_now_add = False
        values = {}
        for name, value in obj["fields"].items():
            field = model._meta.get_field(name)
            if field.many_to_many:
                for target in value:
                    through.append((model, name, obj["pk"], target))
            elif field.is_relation:
                if field.related_model._meta.label == "contracts.TargetGroup":
                    value = group_ids[value]
                elif field.related_model._meta.label == "procurement.District":
                    value = district_ids[value]
                values[field.attname] = value
            else:
                values[name] = field.to_python(value)
        by_model.setdefault(obj["model"], []).append(model(pk=obj["pk"], **values))
    for label, instances in by_model.items():
        apps.get_model(label).objects.bulk_create(instances)
    for model, name, pk, target in through:
        field = model._meta.get_field(name)
        link = field.remote_field.through
        if field.related_model._meta.label == "contracts.TargetGroup":
            target = group_ids[target]
        link.objects.create(
            **{
                field.m2m_field_name() + "_id": pk,
                field.m2m_reverse_field_name() + "_id": target,
            }
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_row_and_evaluation_of_the_demo_data_is_the_same_after_the_issue_14_migrations():
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert data["made_with"] == "ae87821"
    # The seeded target groups and districts, matched by code and name (their ids may differ).
    group_ids = {
        old_id: TargetGroup.objects.get(code=code).id
        for code, old_id in data["target_groups"].items()
    }
    district_ids = {
        old_id: District.objects.get(name=name).id for name, old_id in data["districts"].items()
    }
    executor = MigrationExecutor(connection)
    latest = [node for node in executor.loader.graph.leaf_nodes() if node[0] in ISSUE_14_APPS]
    pre14 = _pre14_targets(data)
    assert set(pre14) != set(latest), "the issue-14 migrations are not there"
    try:
        executor.migrate(pre14)
        old_apps = executor.loader.project_state(pre14).apps
        _insert(old_apps, data, group_ids, district_ids)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)

    # Every row as it was: each old field of each object, as the serializer writes it now.
    for label in sorted({obj["model"] for obj in data["objects"]}):
        olds = [obj for obj in data["objects"] if obj["model"] == label]
        model = Contract._meta.apps.get_model(label)
        now = {
            obj["pk"]: obj["fields"]
            for obj in json.loads(
                serializers.serialize("json", model.objects.filter(pk__in=[o["pk"] for o in olds]))
            )
        }
        assert len(now) == len(olds), label
        for old in olds:
            fields = dict(old["fields"])
            if label == "internships.placementrow":
                fields["target_group"] = group_ids[fields["target_group"]]
            if label == "contracts.contract":
                fields["district"] = district_ids[fields["district"]]
            if label == "contracts.socialclause":
                fields["target_groups"] = sorted(group_ids[g] for g in fields["target_groups"])
                now[old["pk"]]["target_groups"] = sorted(now[old["pk"]]["target_groups"])
            assert {name: now[old["pk"]][name] for name in fields} == fields, (label, old["pk"])

    # Every evaluation as it was, on every day; the new first_start is null (no clause has it).
    expected: dict[str, dict[int, dict]] = {}
    for evaluation in data["evaluations"]:
        expected.setdefault(evaluation["as_of"], {})[evaluation["clause"]] = evaluation
    assert len(expected) == 7
    for day, clauses in expected.items():
        items = evaluate_clauses(as_of=date.fromisoformat(day))
        assert {item.clause.id for item in items} == set(clauses), day
        for item in items:
            now = {
                name: (str(value) if value is not None else None)
                for name, value in vars(item.evaluation).items()
            }
            assert now.pop("first_start") is None
            old = dict(clauses[item.clause.id])
            old.pop("clause")
            assert now == old, (day, item.clause.id)
