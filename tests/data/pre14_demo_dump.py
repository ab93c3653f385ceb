"""How ``pre14_demo.json`` was made (tests/contracts/test_migrations_keep_evaluations.py).

Run with the code at ae87821, before issue 14's model layer, on a database migrated and seeded
with ``seed_demo``::

    git archive ae87821 | tar -x -C /tmp/pre14 && cd /tmp/pre14
    DATABASE_URL=postgres://.../sc_pre14 python manage.py migrate
    DATABASE_URL=postgres://.../sc_pre14 python manage.py seed_demo
    PYTHONPATH=. python pre14_demo_dump.py > pre14_demo.json  # same DATABASE_URL

It writes the demo data's rows (users' references cleared: no evaluation reads them), the
seeded target groups and districts, the latest migration of every app, and the evaluation of
every clause on seven days.
"""

import json
import os
import sys
from datetime import date

AS_OF = [
    date(2023, 6, 30),
    date(2024, 3, 31),
    date(2024, 12, 31),
    date(2025, 6, 30),
    date(2026, 1, 15),
    date(2026, 6, 30),
    date(2027, 12, 31),
]
USER_FIELDS = ("officer", "submitted_by", "reviewed_by", "managers", "created_by", "users")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core import serializers
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from contracts.models import ClauseMilestone, Contract, SocialClause, TargetGroup
    from contracts.selectors import evaluate_clauses
    from internships.models import PlacementReport, PlacementRow
    from procurement.models import Contractor, District, Procurement

    models = [
        Contractor,
        Procurement,
        Contract,
        SocialClause,
        ClauseMilestone,
        PlacementReport,
        PlacementRow,
    ]
    objects = []
    for model in models:
        objects += json.loads(serializers.serialize("json", model.objects.order_by("pk")))
    for obj in objects:
        for name in USER_FIELDS:
            if name in obj["fields"]:
                obj["fields"][name] = [] if isinstance(obj["fields"][name], list) else None
    evaluations = [
        {
            "clause": item.clause.id,
            **{k: (str(v) if v is not None else None) for k, v in vars(item.evaluation).items()},
        }
        for as_of in AS_OF
        for item in evaluate_clauses(as_of=as_of)
    ]
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    json.dump(
        {
            "made_with": "ae87821",
            "migrations": sorted([list(node) for node in leaves]),
            "target_groups": dict(TargetGroup.objects.values_list("code", "id")),
            "districts": dict(District.objects.values_list("name", "id")),
            "objects": objects,
            "evaluations": evaluations,
        },
        sys.stdout,
        separators=(",", ":"),
        sort_keys=True,
    )


if __name__ == "__main__":
    main()
