"""The authorization matrix: every URL pattern of the project, for every role.

The patterns come from the URLconf itself (the project's, the admin's and i18n's), so a new page
is covered the day it is added: a pattern this file does not know fails the test, naming the row
to add to ``CASES`` (or to ``ADMIN_MODELS`` for a new admin). Each pattern's parameters are filled
with objects inside and outside each persona's jurisdiction (tests/matrix_objects.py), and the
expected answer is worked out from this file's own tables — which action of accounts/access.py the
page needs, which object it refers to, who sees and who owns that object — not from the views:

- anonymous: 302 to the login page (except the public pages: login, language);
- object outside the jurisdiction: 404;
- action the role does not have, or an object the persona sees but does not own: 403;
- otherwise 200 or 302 (400 for an import posted without a file);
- never 500, and a refused request writes nothing (every insert, update and delete of the
  transaction is counted through PostgreSQL's pg_stat_xact_user_tables, sessions aside);
- a page that answers 200 never names a village or cadre the persona cannot see.

Django's admin checks the action before it looks the object up (``has_change_permission`` is asked
first), so there a refused action answers 403 even for an object outside the jurisdiction; the
403 is decided without the object and says nothing about it. Everywhere else the lookup comes
first. Each test is one URL pattern with all its cases for all roles, and lists every mismatch.
"""

import dataclasses
import json
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import access
from accounts.models import Role
from excel import exports, imports

from . import matrix_objects as M

VIEW = access.VIEW
NOBODY = "nobody"  # an action no role has: Django's model permissions, which no persona holds
ALL = [M.ANONYMOUS, *M.PERSONAS]
MONTH = f"{M.MONTH:%Y-%m}"
OK = (200, 302)
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def walk(resolver=None, prefix="", namespace=""):
    """Every URL pattern as (key, route): the qualified name, or the route for an unnamed one."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from walk(p, route, namespace + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            yield (f"{namespace}{p.name}" if p.name else f"{namespace}<unnamed> {route}"), route


PATTERNS = dict(walk())


# --- expectations ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Rule:
    """What a page needs: an action (of accounts/access.py), maybe an object's place, an order."""

    action: str | None = VIEW
    place: str | None = None  # the place of the object the URL names (matrix_objects.SEES)
    owner: bool | None = None  # whether the action needs the object owned; default: not for VIEW
    admin_order: bool = False  # the admin checks the action before the lookup
    public: bool = False
    ok: tuple = OK
    refused: int = 403  # the answer for a missing action (Django's admin app index says 404)
    allowed_answer: int | str | None = None  # a fixed answer once allowed (405; 404 for a bogus kind)
    ignored_by: frozenset = frozenset()  # roles whose page ignores the object parameter
    anonymous: int | str | None = None  # the anonymous answer, when not the login page

    def has(self, persona):
        """The role has the action; ``action`` may be a frozenset: any one of its actions."""
        actions = self.action if isinstance(self.action, frozenset) else {self.action}
        return self.action is None or bool(actions & set(access.ROLE_ACTIONS.get(M.ROLES.get(persona), ())))

    def expect(self, persona):
        """(the answer due, whether the request is allowed): a refused one must write nothing."""
        if persona == M.ANONYMOUS:
            if self.public:
                return self.anonymous or "ok", self.anonymous is None
            return self.anonymous or "login", False
        # Allowed: "ok", or a logout's redirect to the login page; a fixed 404 or 405 is a refusal.
        allowed = self.allowed_answer in (None, "login")
        if self.public or M.ROLES[persona] in self.ignored_by:
            return self.allowed_answer or "ok", allowed
        has = self.has(persona)
        sees = self.place is None or persona in M.SEES[self.place]
        needs_owner = self.owner if self.owner is not None else self.action not in (None, VIEW)
        owns = self.place is None or not needs_owner or persona in M.OWNS[self.place]
        checks = [(has, self.refused), (sees, 404)]
        if not self.admin_order:
            checks.reverse()
        checks.append((owns, 403))
        for passed, answer in checks:
            if not passed:
                return answer, False
        return self.allowed_answer or "ok", allowed


@dataclasses.dataclass
class Case:
    method: str
    url: str
    rule: Rule
    data: dict | None = None
    location: str | None = None  # for a redirect that must go exactly there
    writes_allowed: set | None = None  # who may write (None: anyone the rule allows)
    must_survive: object = None  # persona → the objects that must still exist after the request
    page: str | None = None  # the admin page (change, delete, ...) of a case; else the URL pattern


def get(url, **rule):
    return Case("get", url, Rule(**rule))


def post(url, data=None, **rule):
    return Case("post", url, Rule(**rule), data or {})


def both(url, data=None, **rule):
    return [get(url, **rule), post(url, data, **rule)]


# --- the table: URL pattern → cases ------------------------------------------------------------
EXPORTS = dict.fromkeys(["roster", "attendance", "appraisal", "coverage", "allowance"], VIEW)
IMPORTS = {
    "villages": access.MANAGE_REFERENCE,
    "cadres": access.MANAGE_REFERENCE,
    "assignments": access.DISPATCH,
    "regions": access.MANAGE_REGIONS,
}


OPINION_WRITERS = frozenset({access.GIVE_OPINION, access.ENTER_ASSESSMENT})


def per(w, kind, build):
    return [case for place, obj in w.places(kind) for case in build(obj, place)]


DASHBOARDS_WITHOUT_DRILL_DOWN = frozenset({Role.TOWNSHIP_CLERK, Role.UNIT_LIAISON})


def _home(w):
    cases = [get("/")]
    for place, region in w.places("region"):
        # Drill-down: region roles see inside their own region only; a clerk's and a liaison's
        # dashboards have no drill-down and ignore the parameter.
        cases.append(get(f"/?region={region.code}", place=place, ignored_by=DASHBOARDS_WITHOUT_DRILL_DOWN))
    return cases


def _assignment_change(name):
    def build(w):
        return per(
            w,
            "assignment",
            lambda a, p: both(reverse(f"assignments:{name}", args=[a.pk]), action=access.DISPATCH, place=p),
        )

    return build


def _sheet_actions(w):
    cases = []
    for place, sheet in w.places("sheet"):
        code = sheet.township.code
        for action, needed in [
            ("submit", access.KEEP_ATTENDANCE),
            ("approve", access.APPROVE_ATTENDANCE),
            ("reopen", access.APPROVE_ATTENDANCE),
        ]:
            cases.append(
                post(reverse("attendance:action", args=[code, MONTH, action]), action=needed, place=place)
            )
        bogus = reverse("attendance:action", args=[code, MONTH, "bogus"])
        cases.append(post(bogus, action=access.APPROVE_ATTENDANCE, place=place, allowed_answer=404))
    return [get(cases[0].url, action=None, allowed_answer=405), *cases]


def _leave_decisions(w):
    cases = []
    for place, leave in w.places("leave"):
        long = w.obj["leave_long"][place]
        cases.append(post(reverse("leave:decide", args=[leave.pk, "bogus"]), action=NOBODY, place=place))
        for action in ["approve", "reject"]:
            cases.append(
                post(
                    reverse("leave:decide", args=[leave.pk, action]),
                    action=access.DECIDE_TOWNSHIP_LEAVE,
                    place=place,
                )
            )
            cases.append(
                post(
                    reverse("leave:decide", args=[long.pk, action]),
                    action=access.DECIDE_COUNTY_LEAVE,
                    place=place,
                )
            )
        for action in ["return", "cancel"]:
            cases.append(
                post(
                    reverse("leave:decide", args=[leave.pk, action]), action=access.REQUEST_LEAVE, place=place
                )
            )
    return [get(cases[0].url, action=None, allowed_answer=405), *cases]


def _own_page(name):
    return lambda w: [get(reverse(f"fieldwork:{name}"), action=access.RECORD_OWN)]


def _own_form(name):
    return lambda w: both(reverse(f"fieldwork:{name}"), action=access.RECORD_OWN)


def _own_post(name, kind):
    """A POST on a cadre's own record: the action first (the cadre's pages ask for it before they
    look the record up), then the record must be the cadre's own (t1's; every other place 404)."""

    def build(w):
        url = reverse(f"fieldwork:{name}", args=[w.obj[kind]["t1"].pk])
        return [
            get(url, action=None, allowed_answer=405),
            *per(w, kind, lambda o, p: [post(reverse(f"fieldwork:{name}", args=[o.pk]), **own(p))]),
        ]

    return build


def own(place):
    return {"action": access.RECORD_OWN, "place": place, "admin_order": True}


def _trip_decisions(w):
    cases = []
    for place, trip in w.places("trip"):
        cases.append(post(reverse("trips:decide", args=[trip.pk, "bogus"]), action=NOBODY, place=place))
        for action in ["reject", "confirm"]:
            cases.append(
                post(
                    reverse("trips:decide", args=[trip.pk, action]),
                    {"reason": "时间冲突"},
                    action=access.CONFIRM_TRIP,
                    place=place,
                )
            )
    return [get(cases[0].url, action=None, allowed_answer=405), *cases]


def _round_actions(w):
    cases = [
        post(
            reverse("appraisal:round_action", args=[round_.pk, action]),
            action=access.RUN_APPRAISAL,
            place=place,
        )
        for place, round_ in w.places("round")
        for action in ["save", "suggest", "finalize", "reopen", "bogus"]
    ]
    return [get(cases[0].url, action=None, allowed_answer=405), *cases]


def _forms_cases(fmt, ok):
    def url(name, *args):
        return reverse(f"appraisal:{name}_{fmt}", args=args)

    return {
        "forms": lambda w: per(w, "round", lambda r, p: [get(url("forms", r.pk), place=f"forms_{p}", ok=ok)]),
        "form": lambda w: per(
            w,
            "appraisal",
            lambda a, p: [get(url("form", a.round_id, a.pk), place=f"forms_{p}", ok=ok)],
        ),
        "experience": lambda w: per(
            w, "cadre", lambda c, p: [get(url("experience", c.pk), place=f"forms_{p}", ok=ok)]
        ),
        "letters": lambda w: per(
            w, "round", lambda r, p: [get(url("letters", r.pk), place=f"letters_{p}", ok=ok)]
        ),
        "letter": lambda w: per(
            w,
            "round",
            lambda r, p: [get(url("letter", r.pk, w.obj["unit"][p].pk), place=f"letters_{p}", ok=ok)],
        ),
    }


def _exports(w):
    assert set(exports.KINDS) == set(EXPORTS), (
        f"Export kinds changed: {sorted(exports.KINDS)}; say in EXPORTS which action each needs."
    )
    cases = [get(reverse("excel:export", args=["bogus"]), allowed_answer=404)]
    for kind, action in EXPORTS.items():
        url = reverse("excel:export", args=[kind])
        if kind == "appraisal":
            cases += [get(f"{url}?round={r.pk}", action=action, place=p) for p, r in w.places("round")]
            cases.append(get(f"{url}?year={M.ROUND_YEAR}", action=action, ok=(200, 302, 400)))
        else:
            cases.append(get(f"{url}?month={MONTH}", action=action))
        if kind in ("attendance", "allowance"):
            # A township's sheet exports that township: looked up through the jurisdiction.
            cases += [
                get(f"{url}?month={MONTH}&township={s.township.code}", action=action, place=p)
                for p, s in w.places("sheet")
            ]
        if kind in ("roster", "coverage"):
            # The village list's filters: a township the list does not offer filters nothing.
            cases += [
                get(f"{url}?township={s.township.code}&category=poverty_exit", action=action)
                for _p, s in w.places("sheet")
            ]
    return cases


def _layouts(w):
    """A province's or city's layout page (``?region=``): read within the jurisdiction, written by
    the region's own department."""
    cases = [get(reverse("excel:layout_edit", args=["bogus"]), action=None, allowed_answer=404)]
    for kind in ("roster", "appraisal"):
        for place, region in w.places("layout_region"):
            url = f"{reverse('excel:layout_edit', args=[kind])}?region={region.code}"
            cases += [
                get(url, place=place),
                post(url, {"reset": "1"}, action=access.MANAGE_LAYOUTS, place=place),
            ]
    return cases


def _imports(w, name, method):
    assert set(imports.IMPORTERS) == set(IMPORTS), (
        f"Import kinds changed: {sorted(imports.IMPORTERS)}; say in IMPORTS which action each needs."
    )
    cases = [get(reverse(name, args=["bogus"]), action=None, allowed_answer=404)]
    for kind, action in IMPORTS.items():
        url = reverse(name, args=[kind])
        cases += method(url, action=action)
    return cases


def _import_page(url, action):
    # Posted without a file: a clear 400 for those allowed, nothing written for anyone.
    return [get(url, action=action), post(url, action=action, ok=(400,))]


def _view_on_site(name):
    # The admin's own pattern is shadowed by the project's scoped one (config/urls.py); both
    # reverse to the same address, which must answer through the jurisdiction.
    return lambda w: [
        get(reverse(name, args=[w.content_types[kind], obj.pk]), place=place)
        for kind in w.content_types
        for place, obj in w.places(kind)
    ]


CASES = {
    "home": _home,
    "todos": lambda w: [get("/todo/")],
    "villages:list": lambda w: [get(reverse("villages:list"))],
    "villages:detail": lambda w: per(w, "village", lambda v, p: [get(v.get_absolute_url(), place=p)]),
    "cadres:list": lambda w: [get(reverse("cadres:list"))],
    "cadres:detail": lambda w: per(
        w, "cadre", lambda c, p: [get(reverse("cadres:detail", args=[c.pk]), place=p)]
    ),
    # The full ID number, on demand (a POST, recorded): whoever may see ID numbers, inside the jurisdiction.
    "cadres:id_number": lambda w: [
        get(reverse("cadres:id_number", args=[w.places("cadre")[0][1].pk]), action=None, allowed_answer=405),
        *per(
            w,
            "cadre",
            lambda c, p: [
                # Reading, not changing: whoever sees the cadre (a county he served in included).
                post(
                    reverse("cadres:id_number", args=[c.pk]),
                    action=access.SEE_ID_NUMBERS,
                    place=p,
                    owner=False,
                )
            ],
        ),
    ],
    # Registering a cadre and editing the record: the action of the admin and the import.
    "cadres:new": lambda w: both(reverse("cadres:new"), action=access.MANAGE_REFERENCE),
    "cadres:edit": lambda w: per(
        w,
        "cadre",
        lambda c, p: both(reverse("cadres:edit", args=[c.pk]), action=access.MANAGE_REFERENCE, place=p),
    ),
    "assignments:dispatch": lambda w: both(reverse("assignments:dispatch"), action=access.DISPATCH),
    "assignments:detail": lambda w: per(
        w, "assignment", lambda a, p: [get(reverse("assignments:detail", args=[a.pk]), place=p)]
    ),
    **{f"assignments:{name}": _assignment_change(name) for name in ["end", "recall", "extend"]},
    "attendance:index": lambda w: [get(reverse("attendance:index"))],
    "attendance:overview": lambda w: [get(reverse("attendance:overview", args=[MONTH]))],
    "attendance:allowance": lambda w: [get(reverse("attendance:allowance", args=[MONTH]))],
    "attendance:sheet": lambda w: per(
        w,
        "sheet",
        lambda s, p: [
            get(reverse("attendance:sheet", args=[s.township.code, MONTH]), place=p),
            post(
                reverse("attendance:sheet", args=[s.township.code, MONTH]),
                action=access.KEEP_ATTENDANCE,
                place=p,
            ),
        ],
    ),
    "attendance:action": _sheet_actions,
    "leave:list": lambda w: [get(reverse("leave:list"))],
    "leave:new": lambda w: both(reverse("leave:new"), action=access.REQUEST_LEAVE),
    "leave:detail": lambda w: per(
        w, "leave", lambda x, p: [get(reverse("leave:detail", args=[x.pk]), place=p)]
    ),
    "leave:decide": _leave_decisions,
    "spotchecks:list": lambda w: [get(reverse("spotchecks:list"))],
    "spotchecks:new": lambda w: both(reverse("spotchecks:new"), action=access.RECORD_SPOT_CHECK),
    "spotchecks:detail": lambda w: per(
        w, "spotcheck", lambda x, p: [get(reverse("spotchecks:detail", args=[x.pk]), place=p)]
    ),
    # The check of each place is recorded by that place's clerk (matrix_objects): the recorder and
    # the county own it, a clerk who did not record it does not.
    "spotchecks:correct": lambda w: per(
        w,
        "spotcheck",
        lambda x, p: [
            get(reverse("spotchecks:correct", args=[x.pk]), action=None, allowed_answer=405),
            post(reverse("spotchecks:correct", args=[x.pk]), action=access.CORRECT_SPOT_CHECK, place=p),
        ],
    ),
    "spotchecks:withdraw": lambda w: per(
        w,
        "spotcheck",
        lambda x, p: [
            get(reverse("spotchecks:withdraw", args=[x.pk]), action=None, allowed_answer=405),
            post(reverse("spotchecks:withdraw", args=[x.pk]), action=access.WITHDRAW_SPOT_CHECK, place=p),
        ],
    ),
    "appraisal:rounds": lambda w: [
        get(reverse("appraisal:rounds")),
        post(reverse("appraisal:rounds"), action=access.RUN_APPRAISAL),
    ],
    "appraisal:round": lambda w: per(
        w, "round", lambda r, p: [get(reverse("appraisal:round", args=[r.pk]), place=p)]
    ),
    "appraisal:round_action": _round_actions,
    "appraisal:inspection_new": lambda w: per(
        w,
        "assignment",
        lambda a, p: both(
            reverse("appraisal:inspection_new", args=[a.pk]), action=access.RUN_APPRAISAL, place=p
        ),
    ),
    "appraisal:village_results": lambda w: per(
        w,
        "village",
        lambda v, p: [
            get(reverse("appraisal:village_results", args=[v.code]), place=p),
            post(reverse("appraisal:village_results", args=[v.code]), action=access.ENTER_RESULTS, place=p),
        ],
    ),
    "appraisal:evidence": lambda w: per(
        w,
        "appraisal",
        lambda a, p: [get(reverse("appraisal:evidence", args=[a.round_id, a.pk]), place=p)],
    ),
    "appraisal:excellent_twice": lambda w: [get(reverse("appraisal:excellent_twice"))],
    # The appraisal file (issue 18): the opinions page is for those who give opinions or enter the
    # 民主测评; a round's page reads for whoever sees the round (its rows are the user's scope) and
    # saves for those who write there; the county sets the deadline.
    "appraisal:opinions": lambda w: [get(reverse("appraisal:opinions"), action=OPINION_WRITERS)],
    "appraisal:round_opinions": lambda w: per(
        w,
        "round",
        lambda r, p: [
            get(reverse("appraisal:round_opinions", args=[r.pk]), place=p),
            post(
                reverse("appraisal:round_opinions", args=[r.pk]), action=OPINION_WRITERS, place=p, owner=False
            ),
        ],
    ),
    "appraisal:round_deadline": lambda w: [
        get(
            reverse("appraisal:round_deadline", args=[w.obj["round"]["county"].pk]),
            action=None,
            allowed_answer=405,
        ),
        *per(
            w,
            "round",
            lambda r, p: [
                post(
                    reverse("appraisal:round_deadline", args=[r.pk]),
                    {"opinions_due": f"{M.ROUND_YEAR + 1}-01-31"},
                    action=access.RUN_APPRAISAL,
                    place=p,
                )
            ],
        ),
    ],
    "appraisal:by_unit": lambda w: [get(reverse("appraisal:by_unit"))],
    "appraisal:outstanding": lambda w: [get(reverse("appraisal:outstanding") + "?year=2025")],
    "appraisal:deputy_secretary": lambda w: [get(reverse("appraisal:deputy_secretary"))],
    "excel:outstanding_list": lambda w: [get(reverse("excel:outstanding_list"))],
    "excel:deputy_secretary_list": lambda w: [get(reverse("excel:deputy_secretary_list") + "?year=2025")],
    # The printed forms (issue 18): HTML, and PDF — which the matrix's world answers 503 (no Chromium
    # there, fixture ``world``: the check comes before the rendering and is the same for both).
    **{
        f"appraisal:{name}_{fmt}": build
        for fmt, ok in (("html", OK), ("pdf", (503,)))
        for name, build in _forms_cases(fmt, ok).items()
    },
    "excel:exports": lambda w: [get(reverse("excel:exports"))],
    "excel:job": lambda w: per(w, "job", lambda j, p: [get(reverse("excel:job", args=[j.pk]), place=p)]),
    "excel:job_download": lambda w: per(
        w, "job", lambda j, p: [get(reverse("excel:job_download", args=[j.pk]), place=p)]
    ),
    "excel:export": _exports,
    "excel:layouts": lambda w: [get(reverse("excel:layouts"))],
    "excel:layout_edit": _layouts,
    "excel:import": lambda w: _imports(w, "excel:import", _import_page),
    "excel:import_template": lambda w: _imports(
        w, "excel:import_template", lambda url, action: [get(url, action=action)]
    ),
    "login": lambda w: both(reverse("login"), public=True),
    # Django's LogoutView answers a GET 405 to everybody; a POST logs out (last: it ends the session).
    "logout": lambda w: [
        get(reverse("logout"), action=None, public=True, anonymous=405, allowed_answer=405),
        post(reverse("logout"), action=None, public=True, anonymous="login", allowed_answer="login"),
    ],
    "password_change": lambda w: both(reverse("password_change"), action=None),
    # The cadre's own pages, and the accounts pages of the county and township (issue 16).
    "supervision:plans": lambda w: [get(reverse("supervision:plans"))],
    "supervision:new": lambda w: both(reverse("supervision:new"), action=access.PLAN_SPOT_CHECKS),
    "supervision:plan": lambda w: per(
        w, "plan", lambda x, p: [get(reverse("supervision:plan", args=[x.pk]), place=p)]
    ),
    "supervision:print": lambda w: per(
        w, "plan", lambda x, p: [get(reverse("supervision:print", args=[x.pk]), place=p)]
    ),
    "supervision:task": lambda w: per(
        w,
        "task",
        lambda x, p: both(reverse("supervision:task", args=[x.pk]), action=access.RECORD_SPOT_CHECK, place=p),
    ),
    "fieldwork:home": lambda w: [get(reverse("fieldwork:home"), action=access.RECORD_OWN)],
    # Leave on the phone and trip reports (issue 16): the cadre's own pages answer no office role.
    "fieldwork:leave_list": _own_page("leave_list"),
    "fieldwork:trips": _own_page("trips"),
    "fieldwork:leave_new": _own_form("leave_new"),
    "fieldwork:trip_new": _own_form("trip_new"),
    "fieldwork:leave": lambda w: per(
        w, "leave", lambda o, p: [get(reverse("fieldwork:leave", args=[o.pk]), **own(p))]
    ),
    "fieldwork:trip": lambda w: per(
        w, "trip", lambda o, p: [get(reverse("fieldwork:trip", args=[o.pk]), **own(p))]
    ),
    "fieldwork:leave_cancel": _own_post("leave_cancel", "leave"),
    "fieldwork:leave_return": _own_post("leave_return", "leave"),
    "fieldwork:trip_cancel": _own_post("trip_cancel", "trip"),
    "trips:list": lambda w: [get(reverse("trips:list")), get(reverse("trips:list") + "?show=all")],
    "trips:detail": lambda w: per(
        w, "trip", lambda x, p: [get(reverse("trips:detail", args=[x.pk]), place=p)]
    ),
    "trips:decide": _trip_decisions,
    # The work diary and monthly report (fieldwork/views_diary.py): the cadre's own pages, then the
    # township's and county's reading pages (READ_FIELDWORK; a photo is 404 to anyone else).
    "fieldwork:diary": lambda w: [get(reverse("fieldwork:diary"), action=access.RECORD_OWN)],
    "fieldwork:diary_new": lambda w: both(reverse("fieldwork:diary_new"), action=access.RECORD_OWN),
    "fieldwork:diary_entry": lambda w: per(
        w, "diary", lambda e, p: both(reverse("fieldwork:diary_entry", args=[e.pk]), **own(p))
    ),
    "fieldwork:diary_delete": lambda w: [
        get(
            reverse("fieldwork:diary_delete", args=[w.obj["diary"]["t1"].pk]), action=None, allowed_answer=405
        ),
        *per(
            w,
            "diary",
            lambda e, p: [post(reverse("fieldwork:diary_delete", args=[e.pk]), **own(p))],
        ),
    ],
    "fieldwork:diary_photo": lambda w: per(
        w,
        "diary",
        lambda e, p: [get(reverse("fieldwork:diary_photo", args=[e.pk]), **own(p))],
    ),
    "fieldwork:reports": lambda w: [get(reverse("fieldwork:reports"), action=access.RECORD_OWN)],
    "fieldwork:report": lambda w: per(
        w, "report", lambda r, p: [get(reverse("fieldwork:report", args=[r.pk]), **own(p))]
    ),
    "fieldwork:report_month": lambda w: both(
        reverse("fieldwork:report_month", args=[MONTH]), {"text": "x"}, action=access.RECORD_OWN
    ),
    "records:cadre_diary": lambda w: per(
        w,
        "cadre",
        lambda c, p: [
            get(
                reverse("records:cadre_diary", args=[c.pk]),
                action=access.READ_FIELDWORK,
                place=p,
                owner=False,
            )
        ],
    ),
    "records:village_diary": lambda w: per(
        w,
        "village",
        lambda v, p: [
            get(
                reverse("records:village_diary", args=[v.code]),
                action=access.READ_FIELDWORK,
                place=p,
                owner=False,
            )
        ],
    ),
    "records:diary_photo": lambda w: per(
        w,
        "diary",
        lambda e, p: [
            get(
                reverse("records:diary_photo", args=[e.pk]),
                action=access.READ_FIELDWORK,
                place=p,
                owner=False,
                refused=404,
            )
        ],
    ),
    "records:reports": lambda w: [
        get(reverse("records:reports"), action=access.READ_FIELDWORK),
        get(reverse("records:reports") + f"?month={MONTH}", action=access.READ_FIELDWORK),
        *[
            get(
                reverse("records:reports") + f"?month={MONTH}&township={s.township.code}",
                action=access.READ_FIELDWORK,
            )
            for _p, s in w.places("sheet")
        ],
    ],
    "records:report": lambda w: per(
        w,
        "report",
        lambda r, p: [
            get(reverse("records:report", args=[r.pk]), action=access.READ_FIELDWORK, place=p, owner=False)
        ],
    ),
    "records:report_read": lambda w: [
        get(reverse("records:report_read", args=[w.obj["report"]["t1"].pk]), action=None, allowed_answer=405),
        *per(
            w,
            "report",
            lambda r, p: [
                post(reverse("records:report_read", args=[r.pk]), action=access.KEEP_ATTENDANCE, place=p)
            ],
        ),
    ],
    # Check-in is off in the matrix's townships (the default): the page says so, a POST is refused.
    "fieldwork:checkin": lambda w: [
        get(reverse("fieldwork:checkin"), action=access.RECORD_OWN),
        post(
            reverse("fieldwork:checkin"),
            {"latitude": "36.95", "longitude": "120.7", "accuracy": "20"},
            action=access.RECORD_OWN,
            allowed_answer=403,
        ),
    ],
    # Check-ins: the township and county only (never a unit, nor the city and province above);
    # a raw position only on a POST, which is logged.
    "checkins:list": lambda w: [get(reverse("checkins:list"), action=access.SEE_CHECKINS)],
    "checkins:position": lambda w: [
        get(
            reverse("checkins:position", args=[w.places("checkin")[0][1].pk]), action=None, allowed_answer=405
        ),
        *per(
            w,
            "checkin",
            lambda c, p: [
                post(reverse("checkins:position", args=[c.pk]), action=access.SEE_CHECKINS, place=p)
            ],
        ),
    ],
    "checkins:village_points": lambda w: [
        get(reverse("checkins:village_points"), action=access.MANAGE_REFERENCE)
    ],
    "checkins:village_point": lambda w: per(
        w,
        "village",
        lambda v, p: both(
            reverse("checkins:village_point", args=[v.pk]),
            {"system": "wgs84", "latitude": "36.95", "longitude": "120.7"},
            action=access.MANAGE_REFERENCE,
            place=p,
        ),
    ),
    "people:accounts": lambda w: [get(reverse("people:accounts"), action=access.RESET_CADRE_PASSWORDS)],
    "people:create_cadre_accounts": lambda w: [
        get(reverse("people:create_cadre_accounts"), action=None, allowed_answer=405),
        post(reverse("people:create_cadre_accounts"), action=access.DISPATCH),
    ],
    "people:create_clerk_accounts": lambda w: [
        get(reverse("people:create_clerk_accounts"), action=None, allowed_answer=405),
        post(reverse("people:create_clerk_accounts"), action=access.DISPATCH),
    ],
    "people:reset_password": lambda w: [
        get(
            reverse("people:reset_password", args=[w.obj["cadre_account"]["cadre_account_t1"].pk]),
            action=None,
            allowed_answer=405,
        ),
        *per(
            w,
            "cadre_account",
            lambda u, p: [
                post(
                    reverse("people:reset_password", args=[u.pk]),
                    action=access.RESET_CADRE_PASSWORDS,
                    place=p,
                    admin_order=True,
                )
            ],
        ),
    ],
    "set_language": lambda w: both(
        reverse("set_language"), {"language": "zh-hans", "next": "/"}, public=True
    ),
    # The admin site's own pages: every role is staff (accounts.models.User.save).
    "admin:index": lambda w: [get(reverse("admin:index"))],
    "admin:login": lambda w: both(reverse("admin:login"), public=True),
    # Anonymous: the admin sends a logout to its index (which then asks for a login).
    "admin:logout": lambda w: [
        get(reverse("admin:logout"), action=None, anonymous="ok", allowed_answer=405),
        post(reverse("admin:logout"), action=None, anonymous="ok", allowed_answer="login"),
    ],
    "admin:password_change": lambda w: both(reverse("admin:password_change"), action=None),
    "admin:password_change_done": lambda w: [get(reverse("admin:password_change_done"), action=None)],
    "admin:jsi18n": lambda w: [get(reverse("admin:jsi18n"), action=None)],
    "admin:view_on_site": _view_on_site("admin:view_on_site"),
    "view_on_site": _view_on_site("view_on_site"),
}


# --- the admin: every registered ModelAdmin ----------------------------------------------------
@dataclasses.dataclass(frozen=True)
class AdminRow:
    kind: str  # the matrix_objects kind whose objects fill <object_id>
    view: str  # action to see the model at all
    add: str = NOBODY
    change: str = NOBODY
    delete: str = NOBODY


ADMIN_MODELS = {
    "accounts.user": AdminRow("user", access.MANAGE_ACCOUNTS, *[access.MANAGE_ACCOUNTS] * 3),
    "accounts.securityevent": AdminRow("event", access.MANAGE_ACCOUNTS),
    "villages.region": AdminRow("region", VIEW, *[access.MANAGE_REFERENCE] * 3),
    "villages.village": AdminRow("village", VIEW, *[access.MANAGE_REFERENCE] * 3),
    "cadres.unit": AdminRow("unit", VIEW, *[access.MANAGE_REFERENCE] * 3),
    "cadres.cadre": AdminRow("cadre", VIEW, *[access.MANAGE_REFERENCE] * 3),
    "assignments.assignment": AdminRow("assignment", VIEW),
    "assignments.policy": AdminRow("policy", VIEW, *[access.MANAGE_POLICY] * 3),
    "assignments.holidayoverride": AdminRow("holiday", VIEW, *[access.MANAGE_POLICY] * 3),
    # open sheets are corrected here; none is added or deleted in the admin
    "assignments.attendancesheet": AdminRow("sheet", VIEW, change=access.KEEP_ATTENDANCE),
    "assignments.leaverequest": AdminRow("leave", VIEW),
    "assignments.spotcheck": AdminRow("spotcheck", VIEW),
    "appraisal.appraisalround": AdminRow("round", VIEW),
    "appraisal.appraisal": AdminRow("appraisal", VIEW),
    "appraisal.inspection": AdminRow("inspection", VIEW),
    "appraisal.villageresult": AdminRow("result", VIEW, *[access.ENTER_RESULTS] * 3),
    # third-party admins: Django's model permissions, held by superusers only
    "auth.group": AdminRow("group", NOBODY),
    "axes.accessattempt": AdminRow("accessattempt", NOBODY),
    "axes.accesslog": AdminRow("accesslog", NOBODY),
    "axes.accessfailurelog": AdminRow("accessfailurelog", NOBODY),
    "django_tasks_database.dbtaskresult": AdminRow("dbtaskresult", NOBODY),
}


def _admin_row(model):
    label = model._meta.label_lower
    if label not in ADMIN_MODELS:
        pytest.fail(
            f"The admin registers {label}, which the authorization matrix does not know: add it to "
            "ADMIN_MODELS in tests/test_authorization_matrix.py (which actions it needs, which "
            "objects of tests/matrix_objects.py fill its pages)."
        )
    return ADMIN_MODELS[label]


def _admin_page(model, page):
    row = _admin_row(model)
    info = (model._meta.app_label, model._meta.model_name)

    def url(name, *args):
        return reverse(f"admin:{info[0]}_{info[1]}_{name}", args=args)

    def objects(w):
        return w.places(row.kind)

    def build(w):
        if page == "changelist":
            cases = [get(url("changelist"), action=row.view, admin_order=True)]
            # delete_selected, confirmed, on the objects of every place at once: those a persona
            # may not delete (no delete action, or not its own) must all still be there afterwards.
            selected = objects(w)
            data = {
                "action": "delete_selected",
                "_selected_action": [o.pk for _p, o in selected],
                "post": "yes",
            }
            case = post(url("changelist"), data, action=row.view, admin_order=True)
            case.writes_allowed = {
                p for p in M.PERSONAS for place, _o in selected if _may_delete(row, place, p)
            }
            case.must_survive = lambda persona: [
                o for place, o in selected if not _may_delete(row, place, persona)
            ]
            return [*cases, case]
        if page == "add":
            return both(url("add"), action=row.add, admin_order=True)
        cases = []
        for n, (place, obj) in enumerate(objects(w)):
            # A read-only page's refusal comes before the lookup, the same for every object: one.
            if page == "change":
                cases.append(
                    get(url("change", obj.pk), action=row.view, place=place, owner=False, admin_order=True)
                )
                if row.change != NOBODY or n == 0:
                    cases.append(
                        post(url("change", obj.pk), action=row.change, place=place, admin_order=True)
                    )
            elif page == "delete":
                if row.delete != NOBODY or n == 0:
                    cases.append(get(url("delete", obj.pk), action=row.delete, place=place, admin_order=True))
                if place is None or "far" in place:
                    # The confirmed POST on an object nobody owns: refused, and nothing deleted.
                    cases.append(
                        post(
                            url("delete", obj.pk),
                            {"post": "yes"},
                            action=row.delete,
                            place=place,
                            admin_order=True,
                        )
                    )
            elif page == "history":
                # Django's history page looks the object up first, then asks for the view permission;
                # who changed what is access.VIEW_HISTORY's (not the units' liaisons).
                history = access.VIEW_HISTORY if row.view == VIEW else row.view
                cases.append(get(url("history", obj.pk), action=history, place=place, owner=False))
            elif page == "password":
                target = reverse("admin:auth_user_password_change", args=[obj.pk])
                cases += both(target, action=row.change, place=place, admin_order=True)
            elif page == "redirect":
                # admin/<app>/<model>/<id>/ only redirects to the change page, whoever asks.
                case = get(reverse("admin:index") + f"{info[0]}/{info[1]}/{obj.pk}/", action=None)
                case.location = url("change", obj.pk)
                return [case]
        for case in cases:
            case.page = page
        return cases

    return build


def _may_delete(row, place, persona):
    actions = access.ROLE_ACTIONS.get(M.ROLES.get(persona), ())
    return row.delete in actions and place is not None and persona in M.OWNS[place]


def _admin_cases():
    cases = {}
    for model in admin.site._registry:
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        for page in ["changelist", "add", "change", "delete", "history"]:
            cases[f"admin:{info}_{page}"] = _admin_page(model, page)
        route = f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/"
        cases[f"admin:<unnamed> {route}"] = _admin_page(model, "redirect")
    user_model = next(m for m in admin.site._registry if m._meta.label_lower == "accounts.user")
    cases["admin:auth_user_password_change"] = _admin_page(user_model, "password")
    cases["admin:app_list"] = _app_lists
    cases["admin:autocomplete"] = _autocompletes
    cases["admin:<unnamed> admin/(?P<url>.*)$"] = lambda w: [
        get(reverse("admin:index") + "no-such-page/", action=None, allowed_answer=404)
    ]
    return cases


def _app_lists(w):
    """An app's index lists the models the user may see; none of them: Django answers 404."""
    cases = []
    for app in sorted({m._meta.app_label for m in admin.site._registry}):
        views = {_admin_row(m).view for m in admin.site._registry if m._meta.app_label == app}
        # One model the role may see is enough: the rule of the first such action, or the refusal.
        action = VIEW if VIEW in views else sorted(views)[0]
        cases.append(get(reverse("admin:app_list", args=[app]), action=action, refused=404, admin_order=True))
    return cases


def _autocompletes(w):
    """Every autocomplete field of every admin: the choices come through the scoped queryset."""
    cases = []
    for model, model_admin in admin.site._registry.items():
        for field_name in model_admin.get_autocomplete_fields(None) or ():
            related = model._meta.get_field(field_name).related_model
            view = _admin_row(related).view
            query = f"?app_label={model._meta.app_label}&model_name={model._meta.model_name}&field_name={field_name}"
            cases.append(get(reverse("admin:autocomplete") + query, action=view, admin_order=True))
    return cases


CASES.update(_admin_cases())


# --- running -----------------------------------------------------------------------------------
MARKERS = {}  # text that must not appear on a page for those who do not see its place


def _markers(w):
    if not MARKERS:
        for place, village in w.all("village"):
            MARKERS[village.name] = place
        for place, cadre in w.all("cadre"):
            MARKERS[cadre.name] = place
        MARKERS["林山寨街道"] = "township_far"
        MARKERS["中原区财政局"] = "far_county"
    return MARKERS


def _writes():
    """Rows inserted, updated and deleted so far in this transaction, by table (sessions aside)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n FROM (SELECT c.relname, pg_stat_get_xact_tuples_inserted(c.oid)"
            " + pg_stat_get_xact_tuples_updated(c.oid) + pg_stat_get_xact_tuples_deleted(c.oid) AS n"
            " FROM pg_class c WHERE c.relkind IN ('r', 'p') AND c.relnamespace = 'public'::regnamespace"
            " AND c.relname <> 'django_session') t WHERE n > 0"
        )
        return dict(cursor.fetchall())


# What a cadre's account reaches besides its own pages (accounts/middleware.py).
CADRE_OPEN = {"password_change", "logout", "login", "set_language"}


def _cadre_expect(key, expected, allowed):
    """A cadre's account: its own pages (namespace fieldwork) follow their rule; the home page sends it
    on to them; the account pages are open; every other page answers 404, whatever it would say."""
    if key.startswith("fieldwork:") or key in CADRE_OPEN:
        return expected, allowed
    if key == "home":
        return "ok", True
    return 404, False


def _label(response, case):
    code = response.status_code
    location = response.get("Location", "")
    if code == 302 and location.startswith(LOGIN_PATHS):
        return "login"
    if case.location is not None and code == 302 and location.split("?")[0] != case.location:
        return f"302 to {location}"
    return "ok" if code in case.rule.ok else code


def _leaks(response, persona, world):
    if response.status_code != 200 or getattr(response, "streaming", False):
        return []
    kind = response.get("Content-Type", "")
    if kind.startswith("application/json"):
        body = json.dumps(json.loads(response.content), ensure_ascii=False)
    elif kind.startswith("text/"):
        body = response.content.decode(errors="replace")
    else:
        return []
    return [text for text, place in _markers(world).items() if text in body and persona not in M.SEES[place]]


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module inside a transaction that is rolled back at the end;
    each test runs in a savepoint inside it (pytest-django's ``db``), so no test sees another's
    writes. Each persona logs in once; its session key is reused by every test."""
    export_dir = tmp_path_factory.mktemp("exports")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                world = M.build(export_dir)
                sessions = {}
                for persona in M.PERSONAS:
                    client = Client()
                    client.force_login(world.users[persona])
                    sessions[persona] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(*sys.exc_info())
            raise
    yield world, sessions, export_dir
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def world(built, db, settings):
    settings.EXPORT_DIR = built[2]
    settings.PRIVATE_MEDIA_ROOT = built[2]  # the diary photos of matrix_objects
    settings.PDF_CHROMIUM = "/nonexistent/chromium"  # the forms' PDF answers 503 (appraisal/pdf.py)
    return built[0]


@pytest.fixture
def clients(built, db):
    result = {M.ANONYMOUS: Client()}
    for persona, key in built[1].items():
        result[persona] = Client()
        result[persona].cookies[django_settings.SESSION_COOKIE_NAME] = key
    return result


def test_every_entry_of_the_matrix_is_a_pattern_of_the_urlconf():
    stale = sorted(set(CASES) - set(PATTERNS))
    assert not stale, f"CASES has rows for URL patterns that no longer exist: {stale}"


@pytest.mark.parametrize("key", list(PATTERNS))
def test_each_role_gets_what_its_jurisdiction_allows_and_nothing_else(key, world, clients):
    if key not in CASES:
        pytest.fail(
            f"URL pattern {key!r} (route {PATTERNS[key]!r}) is not in the authorization matrix: add a "
            "row to CASES in tests/test_authorization_matrix.py naming the action of accounts/access.py "
            "it needs and the objects of tests/matrix_objects.py that fill its parameters."
        )
    cases = CASES[key](world)
    assert cases, f"no cases for {key}"
    mismatches = []
    last = None
    refusals_asked = set()
    for case in cases:
        for persona in ALL:
            expected, allowed = case.rule.expect(persona)
            if persona == "cadre":
                expected, allowed = _cadre_expect(key, expected, allowed)
            if not allowed:
                # Each refusal is asked once per persona, page and rule, on the first object that
                # draws it (t1, then t3, then far): another object outside, or another refused
                # action before the lookup, goes through the same code to the same answer.
                # Everything allowed is asked for every object.
                rule = case.rule if persona != M.ANONYMOUS else None
                seen = (
                    case.page or key,
                    case.method,
                    rule and dataclasses.replace(rule, place=None),
                    persona,
                    expected,
                )
                if seen in refusals_asked:
                    continue
                refusals_asked.add(seen)
            # A refused request writes nothing; nor does one that may not change what it names.
            check = not allowed or (case.writes_allowed is not None and persona not in case.writes_allowed)
            # (the count taken after the previous request serves as this one's "before")
            before = (last or _writes()) if check else None
            # (an object an allowed persona deleted earlier in the case is no longer anyone's)
            survivors = [
                obj
                for obj in (case.must_survive(persona) if case.must_survive else ())
                if type(obj).objects.filter(pk=obj.pk).exists()
            ]
            try:
                response = getattr(clients[persona], case.method)(case.url, case.data)
            except Exception as exc:  # noqa: BLE001 - a 500: reported with the others
                got = f"500 ({type(exc).__name__}: {exc})"
                response = None
            else:
                got = _label(response, case)
            where = (persona, case.url, case.method.upper())
            if got != expected:
                mismatches.append((*where, expected, got))
            for obj in survivors:
                if not type(obj).objects.filter(pk=obj.pk).exists():
                    mismatches.append((*where, f"{obj!r} kept", "deleted"))
            last = None
            if check:
                after = last = _writes()
                written = {t: n - before.get(t, 0) for t, n in after.items() if n != before.get(t, 0)}
                if written:
                    mismatches.append((*where, "nothing written", f"wrote {written}"))
            if response is not None:
                leaked = _leaks(response, persona, world)
                if leaked:
                    mismatches.append((*where, "no names from outside", f"shows {leaked}"))
    assert not mismatches, f"{len(mismatches)} mismatches for {key}:\n" + "\n".join(
        f"  {persona:13} {method:4} {url}  expected {expected}, got {got}"
        for persona, url, method, expected, got in mismatches
    )


# --- a cadre who served in several counties ------------------------------------------------------
@pytest.mark.parametrize("persona", M.OFFICE_PERSONAS)
def test_the_page_of_a_cadre_who_served_in_several_counties_lists_only_the_viewers_part(
    persona, world, clients
):
    """By context and by text: the assignments, attendance, leave, spot checks, inspections and
    appraisals of the places the persona sees, all of them, and nothing of the others (the city
    sees 莱阳 and 海阳, both in 烟台, but not 中原区; the liaison's unit did not send him: 404)."""
    cadre = world.obj["cadre"][M.TRAVELLED]
    served = world.travelled
    response = clients[persona].get(reverse("cadres:detail", args=[cadre.pk]))
    if persona not in M.SEES[M.TRAVELLED]:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    mine = {place for place in served if persona in M.SEES[place]}
    assert mine and mine != set(served), "each persona who sees him sees part of his record"
    expected = {served[place].pk for place in mine}
    context = response.context
    section = next(s for s in context["sections"] if "appraisals" in s)
    assert {a.pk for a in context["history"]} == expected
    assert {r.assignment_id for r in context["records"]} == expected
    assert {lv.assignment_id for lv in context["leaves"]} == expected
    assert {c.assignment_id for c in context["checks"]} == expected
    assert {i.assignment_id for i in section["inspections"]} == expected
    counties = {served[place].village.township.parent_id for place in mine}
    rounds = {a.round for a in section["appraisals"]}
    assert {r.county_id for r in rounds} == counties & {r.county_id for r in world.obj["round"].values()}
    assert rounds, "莱阳's and 海阳's rounds appraise him"
    body = response.content.decode()
    for place, a in served.items():
        texts = [
            a.village.name,
            f"跨县事假{place}",
            f"跨县抽查{place}",
            f"跨县考察{place}",
            a.get_absolute_url(),
        ]
        shown = [t for t in texts if t in body]
        assert shown == (texts if place in mine else []), (place, shown)
    for round_ in world.obj["round"].values():
        assert (round_.get_absolute_url() in body) == (round_ in rounds)


@pytest.mark.parametrize("persona", ["county_admin", "clerk", "viewer", "other_admin"])
def test_the_cadre_list_shows_a_cadre_serving_in_another_county_as_not_serving_here(persona, world, clients):
    """海阳 sees the cadre it once had, but not his village in 莱阳 now, nor him among those serving."""
    cadre = world.obj["cadre"][M.TRAVELLED]
    serving_here = persona in M.SEES["t1"]
    listed = clients[persona].get(reverse("cadres:list"), {"q": cadre.name})
    row = next(c for c in listed.context["page"].object_list if c.pk == cadre.pk)
    assert row.village_name == (world.obj["village"]["t1"].name if serving_here else None)
    serving = clients[persona].get(reverse("cadres:list"), {"q": cadre.name, "serving": "yes"})
    assert (cadre.pk in {c.pk for c in serving.context["page"].object_list}) == serving_here
    not_serving = clients[persona].get(reverse("cadres:list"), {"q": cadre.name, "serving": "no"})
    assert (cadre.pk in {c.pk for c in not_serving.context["page"].object_list}) != serving_here
