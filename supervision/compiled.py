"""Queries built once per process (issue 17: plans and their pages for a county of 250 cadres).

The spot-check rule (assignments/leave.py: with_findings, discrepancy days) is one large query:
Django takes 30–60 ms to build it, the database a few milliseconds to run it for a county. Its SQL
depends on nothing but values passed as parameters (the national holiday schedule in it is fixed for
the life of the process), so it is built once with stand-ins — values no real call has — and every
call swaps the stand-ins' parameters for its own values. The rule itself stays where it is, the one
place every page, list and count reads it from.
"""

import datetime
import threading

from django.db import connection
from django.db.models import BooleanField, Func


class IdAmong(Func):
    """``field = ANY(%s::bigint[])``: one array parameter for a list of ids (rather than one
    placeholder per id), so a query compiled once serves any number of ids."""

    output_field = BooleanField()

    def __init__(self, field, ids):
        super().__init__(field)
        self.ids = list(ids)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} = ANY(%s::bigint[]))", (*params, self.ids)


# Stand-ins: values no real call passes (negative ids, dates before any record).
STAND_IN_ID = -7_777_777_777
STAND_IN_IDS = [-7_777_777_771, -7_777_777_772]
STAND_IN_FIRST = datetime.date(1901, 1, 1)
STAND_IN_LAST = datetime.date(1901, 1, 2)


class Compiled:
    """``build(**stand_ins)`` returns a queryset; ``rows(**values)`` runs its SQL with each stand-in's
    parameter replaced by the value of the same name. Built on first use, once per process."""

    def __init__(self, build, **stand_ins):
        self.build = build
        self.stand_ins = stand_ins
        self._sql = None
        self._lock = threading.Lock()

    def _compile(self):
        query = self.build(**self.stand_ins)
        sql, params = query.query.get_compiler(query.db).as_sql()
        slots = {}
        for name, value in self.stand_ins.items():
            at = [i for i, p in enumerate(params) if type(p) is type(value) and p == value]
            if not at:
                raise RuntimeError(f"the compiled query lost its parameter {name!r}")
            slots[name] = at
        return sql, tuple(params), slots

    def rows(self, **values):
        if self._sql is None:
            with self._lock:
                if self._sql is None:
                    self._sql = self._compile()
        sql, params, slots = self._sql
        params = list(params)
        for name, value in values.items():
            for i in slots[name]:
                params[i] = value
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
