"""The read log's ``what`` becomes a code with a translated label; existing rows get their code."""

from django.db import migrations, models

#: The English texts stored before this migration, by the code that replaces each.
CODES = {
    "rows_review": "placement rows (review)",
    "rows_report_page": "placement rows (report page)",
    "rows_list": "placement rows (list)",
    "row": "placement row",
    "rows_export": "placement rows (export)",
    "rows_api": "placement rows (API)",
}


def texts_to_codes(apps, schema_editor):
    ReadLog = apps.get_model("core", "ReadLog")
    for code, text in CODES.items():
        ReadLog.objects.filter(what=text).update(what=code)


def codes_to_texts(apps, schema_editor):
    ReadLog = apps.get_model("core", "ReadLog")
    for code, text in CODES.items():
        ReadLog.objects.filter(what=code).update(what=text)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_benchmark_band_permissions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="readlog",
            name="what",
            field=models.CharField(
                choices=[
                    ("rows_review", "placement rows (review page)"),
                    ("rows_report_page", "placement rows (report page)"),
                    ("rows_list", "placement rows (list)"),
                    ("row", "placement row"),
                    ("rows_export", "placement rows (export)"),
                    ("rows_api", "placement rows (API)"),
                ],
                max_length=100,
                verbose_name="what",
            ),
        ),
        migrations.RunPython(texts_to_codes, codes_to_texts),
    ]
