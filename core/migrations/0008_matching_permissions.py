"""Officers keep the labour-market units and their members in the admin and see the referrals
(issue 14); managers read both. Referrals are written by matchers and contractors only."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICERS = {
    "procurement": [
        f"{action}_{model}"
        for model in ("labourmarketunit", "labourmarketunitmembership")
        for action in ("view", "add", "change", "delete")
    ],
    "internships": ["view_referral"],
}
MANAGERS = {
    "procurement": ["view_labourmarketunit"],
    "internships": ["view_referral"],
}


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for app_label, names in codenames.items():
        found += Permission.objects.filter(content_type__app_label=app_label, codename__in=names)
    return found


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
    for name, codenames in (("officers", OFFICERS), ("managers", MANAGERS)):
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*_permissions(apps, codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_i18n_readlog_what"),
        ("procurement", "0003_labour_market_units"),
        ("internships", "0004_swedish_model"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
