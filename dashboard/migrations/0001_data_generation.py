"""A data generation number: every write to the tables the to-do counts read bumps a sequence, so a
cached count is reused only while nothing it depends on has changed (dashboard.todos.cached_counts).

Taken over from the first version's ``reports`` app (migration 0002 there): every statement is
idempotent, so a database that already has the sequence and triggers keeps them as they are.

A sequence, not a counter row: nextval never waits for another transaction, so concurrent writers do
not queue behind one hot row. Statement-level triggers: one bump per statement, however many rows."""

from django.db import migrations

# Every table of the apps the to-dos read (history event tables excluded: they only follow these).
# tests/test_todo_count_cache.py fails when a table of these apps has no trigger.
TABLES = [
    "assignments_holidayoverride",
    "assignments_attendancesheet",
    "assignments_attendancerecord",
    "assignments_policy",
    "assignments_assignment",
    "assignments_assignmenthistory",
    "assignments_leaverequest",
    "assignments_spotcheck",
    "villages_region",
    "villages_village",
    "cadres_unit",
    "cadres_cadre",
    "appraisal_inspection",
    "appraisal_appraisalround",
    "appraisal_appraisal",
    "appraisal_villageresult",
]

FORWARD = [
    "CREATE SEQUENCE IF NOT EXISTS zhucun_data_generation",
    """
    CREATE OR REPLACE FUNCTION zhucun_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM nextval('zhucun_data_generation');
        RETURN NULL;
    END
    $$
    """,
    *[
        f"""CREATE OR REPLACE TRIGGER zhucun_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION zhucun_bump_generation()"""
        for table in TABLES
    ],
]
BACKWARD = [
    *[f"DROP TRIGGER IF EXISTS zhucun_generation ON {table}" for table in TABLES],
    "DROP FUNCTION IF EXISTS zhucun_bump_generation()",
    "DROP SEQUENCE IF EXISTS zhucun_data_generation",
]


class Migration(migrations.Migration):
    dependencies = [
        ("assignments", "0009_spotcheck_correction_withdrawal"),
        ("villages", "0002_villageevent_village_insert_insert_and_more"),
        ("cadres", "0004_id_number_province_and_birth_year"),
        ("appraisal", "0005_appraisal_of_a_person"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
