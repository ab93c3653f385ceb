"""Officers and managers read alerts, notifications and snapshots in the admin, and acknowledge
alerts there (docs/RULES.md §6: alerts are read/ack for both roles). Acknowledging is an admin action
that needs only the view permission; officers may also change alerts (close them)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_alert", "view_alertnotification", "view_clausesnapshot"]
OFFICERS_ONLY = ["change_alert"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.filter(content_type__app_label="contracts", codename__in=CODENAMES)
    )
    for group in Group.objects.filter(name__in=["officers", "managers"]):
        group.permissions.add(*permissions)
    officers_only = Permission.objects.filter(
        content_type__app_label="contracts", codename__in=OFFICERS_ONLY
    )
    for group in Group.objects.filter(name="officers"):
        group.permissions.add(*officers_only)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.filter(
            content_type__app_label="contracts", codename__in=CODENAMES + OFFICERS_ONLY
        )
    )
    for group in Group.objects.filter(name__in=["officers", "managers"]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_profile"),
        ("contracts", "0003_contract_evaluation_requested_at_alert_and_more"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
