"""Starting values for the benchmark bands (issue 7). They are a place to start, not a norm:
officers edit them in the admin to what their own completed contracts delivered."""

from decimal import Decimal

from django.db import migrations

BANDS = [
    # from MSEK, placements per MSEK low–high, placement weeks per MSEK low–high
    ("0", "0.20", "0.50", "4.00", "10.00"),
    ("10", "0.10", "0.30", "3.00", "6.00"),
    ("50", "0.05", "0.15", "2.00", "5.00"),
    ("200", "0.03", "0.08", "1.00", "3.00"),
]


def seed(apps, schema_editor):
    BenchmarkBand = apps.get_model("contracts", "BenchmarkBand")
    for from_msek, p_low, p_high, w_low, w_high in BANDS:
        BenchmarkBand.objects.get_or_create(
            from_msek=Decimal(from_msek),
            defaults={
                "placements_low": Decimal(p_low),
                "placements_high": Decimal(p_high),
                "weeks_low": Decimal(w_low),
                "weeks_high": Decimal(w_high),
            },
        )


def unseed(apps, schema_editor):
    BenchmarkBand = apps.get_model("contracts", "BenchmarkBand")
    BenchmarkBand.objects.filter(from_msek__in=[Decimal(b[0]) for b in BANDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0005_benchmark_bands_forecast_alert")]

    operations = [migrations.RunPython(seed, unseed)]
