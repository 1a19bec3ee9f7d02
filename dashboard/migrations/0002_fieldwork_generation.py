"""The cadre's own records (fieldwork) move the data generation too: the grid shows them beside the
township's marks and the to-dos count them, so a cached page must not outlive a new trip or entry."""

from django.db import migrations

TABLES = ["fieldwork_trip", "fieldwork_diaryentry", "fieldwork_monthlyreport", "fieldwork_checkin"]

FORWARD = [
    f"""CREATE OR REPLACE TRIGGER zhucun_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION zhucun_bump_generation()"""
    for table in TABLES
]
BACKWARD = [f"DROP TRIGGER IF EXISTS zhucun_generation ON {table}" for table in TABLES]


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_data_generation"),
        ("fieldwork", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
