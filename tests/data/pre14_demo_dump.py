"""Run with the code at ae87821 (before issue 14's model layer): the demo data's rows and the
evaluation of every clause at several days, as one JSON fixture."""
import json
import os
import sys
from datetime import date

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django

django.setup()
import contracts

assert contracts.__file__.startswith("/tmp/engine-pre14/"), contracts.__file__
from django.core import serializers
from django.db.migrations.executor import MigrationExecutor
from django.db import connection

from contracts.models import ClauseMilestone, Contract, SocialClause, TargetGroup
from contracts.selectors import evaluate_clauses
from internships.models import PlacementReport, PlacementRow
from procurement.models import Contractor, District, Procurement

AS_OF = [date(2023, 6, 30), date(2024, 3, 31), date(2024, 12, 31), date(2025, 6, 30),
         date(2026, 1, 15), date(2026, 6, 30), date(2027, 12, 31)]
models = [Contractor, Procurement, Contract, SocialClause, ClauseMilestone, PlacementReport,
          PlacementRow]
objects = []
for model in models:
    objects += json.loads(serializers.serialize("json", model.objects.order_by("pk")))
# Users referenced by the rows are left out: their references are cleared (no evaluation reads
# them).
for obj in objects:
    for name in ("officer", "submitted_by", "reviewed_by", "managers", "created_by", "users"):
        if name in obj["fields"]:
            obj["fields"][name] = [] if isinstance(obj["fields"][name], list) else None
leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
evaluations = []
for as_of in AS_OF:
    for item in evaluate_clauses(as_of=as_of):
        e = item.evaluation
        evaluations.append(
            {
                "clause": item.clause.id,
                **{k: (str(v) if v is not None else None) for k, v in vars(e).items()},
            }
        )
json.dump(
    {
        "made_with": "ae87821",
        "migrations": sorted([list(n) for n in leaves]),
        "target_groups": dict(TargetGroup.objects.values_list("code", "id")),
        "districts": dict(District.objects.values_list("name", "id")),
        "objects": objects,
        "evaluations": evaluations,
    },
    sys.stdout,
    indent=None,
    separators=(",", ":"),
    sort_keys=True,
)
