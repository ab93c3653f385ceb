"""Create the role groups of docs/RULES.md §6 with the model permissions each role needs in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICER_MODELS = {
    "procurement": ["contractor", "contractormembership", "procurement", "district"],
    "contracts": ["contract", "socialclause", "clausemilestone", "targetgroup"],
    "internships": ["placementreport", "placementrow"],
}
READ_ONLY_MODELS = {
    "procurement": ["contractor", "procurement", "district"],
    "contracts": ["contract", "socialclause", "clausemilestone", "targetgroup"],
    "internships": ["placementreport", "placementrow"],
}


def _permissions(apps, models, actions):
    Permission = apps.get_model("auth", "Permission")
    codenames = [
        f"{action}_{model}" for names in models.values() for model in names for action in actions
    ]
    return Permission.objects.filter(
        content_type__app_label__in=list(models), codename__in=codenames
    )


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    officers, _ = Group.objects.get_or_create(name="officers")
    officers.permissions.set(
        _permissions(apps, OFFICER_MODELS, ["view", "add", "change", "delete"])
    )
    managers, _ = Group.objects.get_or_create(name="managers")
    managers.permissions.set(_permissions(apps, READ_ONLY_MODELS, ["view"]))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["officers", "managers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("procurement", "0002_seed_districts"),
        ("contracts", "0002_seed_target_groups"),
        ("internships", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
