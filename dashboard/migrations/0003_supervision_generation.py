"""Spot-check plans and tasks (supervision) move the data generation: a recorded outcome is a spot
check, and cached pages that count tasks or findings must not outlive it."""

from django.db import migrations

TABLES = ["supervision_spotcheckplan", "supervision_spotchecktask"]

FORWARD = [
    f"""CREATE OR REPLACE TRIGGER zhucun_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION zhucun_bump_generation()"""
    for table in TABLES
]
BACKWARD = [f"DROP TRIGGER IF EXISTS zhucun_generation ON {table}" for table in TABLES]


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0002_fieldwork_generation"),
        ("supervision", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
