"""Seed the target groups of docs/RULES.md §5 with their Swedish and English names."""

from django.db import migrations

TARGET_GROUPS = [
    ("long_term_unemployed", "Långtidsarbetslösa", "Long-term unemployed"),
    ("newly_arrived", "Nyanlända", "Newly arrived"),
    ("foreign_born_women", "Utrikesfödda kvinnor", "Foreign-born women"),
    ("youth", "Unga", "Young people"),
    ("disability", "Personer med funktionsnedsättning", "People with disabilities"),
    ("other", "Övriga långt från arbetsmarknaden", "Others far from the labour market"),
]


def seed(apps, schema_editor):
    TargetGroup = apps.get_model("contracts", "TargetGroup")
    for code, name_sv, name_en in TARGET_GROUPS:
        TargetGroup.objects.update_or_create(
            code=code, defaults={"name_sv": name_sv, "name_en": name_en}
        )


def unseed(apps, schema_editor):
    TargetGroup = apps.get_model("contracts", "TargetGroup")
    TargetGroup.objects.filter(code__in=[code for code, _sv, _en in TARGET_GROUPS]).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
