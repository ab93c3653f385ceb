"""Officers set the benchmark bands in the admin (issue 7); managers read them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICERS = [
    "view_benchmarkband",
    "add_benchmarkband",
    "change_benchmarkband",
    "delete_benchmarkband",
]
MANAGERS = ["view_benchmarkband"]


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return list(
        Permission.objects.filter(content_type__app_label="contracts", codename__in=codenames)
    )


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, codenames in (("officers", OFFICERS), ("managers", MANAGERS)):
        for group in Group.objects.filter(name=name):
            group.permissions.add(*_permissions(apps, codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=["officers", "managers"]):
        group.permissions.remove(*_permissions(apps, OFFICERS))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_readlog"),
        ("contracts", "0006_seed_benchmark_bands"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
