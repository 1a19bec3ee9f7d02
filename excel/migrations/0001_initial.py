"""ExportJob moves here from the first version's ``reports`` app (split into excel, dashboard, demo).

A database that ran ``reports`` keeps its jobs: the table is renamed. A new database gets the table
created. Either way Django's state is the plain CreateModel below."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def adopt_or_create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('reports_exportjob') IS NOT NULL")
        (exists,) = cursor.fetchone()
    if exists:
        schema_editor.execute("ALTER TABLE reports_exportjob RENAME TO excel_exportjob")
        schema_editor.execute("ALTER SEQUENCE IF EXISTS reports_exportjob_id_seq RENAME TO excel_exportjob_id_seq")
    else:
        schema_editor.create_model(apps.get_model("excel", "ExportJob"))


def drop(apps, schema_editor):
    schema_editor.delete_model(apps.get_model("excel", "ExportJob"))


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExportJob",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=20, verbose_name="export")),
                        ("params", models.JSONField(default=dict, verbose_name="parameters")),
                        (
                            "state",
                            models.CharField(
                                choices=[("queued", "Waiting"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
                                default="queued",
                                max_length=10,
                                verbose_name="state",
                            ),
                        ),
                        ("rows_total", models.PositiveIntegerField(default=0, verbose_name="rows expected")),
                        ("rows_done", models.PositiveIntegerField(default=0, verbose_name="rows written")),
                        ("filename", models.CharField(blank=True, max_length=200, verbose_name="file name")),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="requested at")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "export job",
                        "verbose_name_plural": "export jobs",
                        "ordering": ["-created_at"],
                    },
                ),
            ],
        ),
        # After the state has the model, so that the function can build its table from it.
        migrations.RunPython(adopt_or_create, drop),
    ]
