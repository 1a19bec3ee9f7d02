"""The data generation: a number that moves on every write to the tables of villages, cadres,
assignments and appraisal (a sequence bumped by statement-level triggers, dashboard/migrations/0001).
Caches keyed by it (the to-do badge, the attendance grid) are never older than the data they show."""

from django.db import connection


def data_generation(request=None):
    """The current number; with ``request``, read once per request (the grid and the header's badge
    both need it). A request that writes calls ``forget(request)`` before reading it again."""
    if request is not None and getattr(request, "_data_generation", None) is not None:
        return request._data_generation
    with connection.cursor() as cursor:
        # Before the first write last_value is 1 but not yet handed out (is_called false).
        cursor.execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM zhucun_data_generation")
        value = cursor.fetchone()[0]
    if request is not None:
        request._data_generation = value
    return value


def forget(request):
    request._data_generation = None
