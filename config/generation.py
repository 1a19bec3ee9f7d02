"""The data generation: a number that moves on every write to the tables of villages, cadres,
assignments and appraisal (a sequence bumped by statement-level triggers, reports/migrations/0002).
Caches keyed by it (the to-do badge, the attendance grid) are never older than the data they show."""

from django.db import connection


def data_generation():
    with connection.cursor() as cursor:
        # Before the first write last_value is 1 but not yet handed out (is_called false).
        cursor.execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM zhucun_data_generation")
        return cursor.fetchone()[0]
