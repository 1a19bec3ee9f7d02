"""Opinions and democratic assessments (the appraisal file) move the data generation: the round's
page and the to-dos count them, and cached pages must not outlive them."""

from django.db import migrations

TABLES = ["appraisal_opinion", "appraisal_democraticassessment"]

FORWARD = [
    f"""CREATE OR REPLACE TRIGGER zhucun_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION zhucun_bump_generation()"""
    for table in TABLES
]
BACKWARD = [f"DROP TRIGGER IF EXISTS zhucun_generation ON {table}" for table in TABLES]


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0003_supervision_generation"),
        ("appraisal", "0006_opinions_assessment_grade_reason"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
