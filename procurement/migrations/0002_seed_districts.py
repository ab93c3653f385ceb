"""Seed Jönköping's residential districts where the housing company builds and manages homes."""

from django.db import migrations

DISTRICTS = [
    "Bymarken",
    "Huskvarna",
    "Ekhagen",
    "Norrahammar",
    "Råslätt",
    "Söder",
    "Tenhult",
    "Torpa",
    "Väster",
    "Öster",
    "Österängen",
    "Öxnehaga",
]


def seed(apps, schema_editor):
    District = apps.get_model("procurement", "District")
    for name in DISTRICTS:
        District.objects.get_or_create(name=name, defaults={"municipality": "Jönköping"})


def unseed(apps, schema_editor):
    District = apps.get_model("procurement", "District")
    District.objects.filter(name__in=DISTRICTS, contracts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("procurement", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
