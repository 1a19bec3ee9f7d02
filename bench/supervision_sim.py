"""Does aiming spot checks by the risk signals find more absentees than checking at random? A
simulation (issue 17, docs/supervision.md): ``make bench`` runs it, or

    .venv/bin/python bench/supervision_sim.py [--seed 2024] [--months 24] [--cadres 5000]

A province of cadres, a known share of them chronic absentees, their townships' sheets kept as an
unreliable township keeps them (some rows copied from last month, an absentee's days filled ``P``),
their own traces (diary, monthly report, trips, leave) generated from the assumptions in
``BASE`` — every number is an assumption, stated there. Each month two plans of the same size are
drawn: one uniformly, one by the risk signals (every cadre at or above the threshold plus the random
share of the others: ``supervision.plans.draw``, the code the plans use, with the weights of
``supervision.signals.WEIGHTS``); each check falls on a random working day. The result is absentees
found per 100 checks for each plan, and their ratio; then the same with each assumption weakened.

The signals are the rules of supervision/signals.py computed on the simulated rows in memory (the
database version reads the same facts from the sheets, fieldwork and spot checks).
"""

import argparse
import json
import os
import random
import sys
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")  # never connected

import django  # noqa: E402

django.setup()

from supervision.plans import draw  # noqa: E402
from supervision.signals import UNTRACED_SHARE, WEIGHTS  # noqa: E402

# Working days of each month (a year with its holidays) and the monthly minimum (days_per_month).
WORKING_DAYS = [21, 16, 21, 22, 19, 20, 23, 21, 22, 17, 20, 22]
MINIMUM = 20
THRESHOLD, SAMPLE_PERCENT = 5, 10  # the policy defaults (assignments/policy.py)


@dataclass(frozen=True)
class Assumptions:
    absentee_share: float = 0.10  # chronic absentees among the cadres
    absentee_away: float = 0.60  # share of working days a chronic absentee is away
    honest_away: float = 0.02  # share of days an ordinary cadre is away without telling anyone
    unreliable_townships: float = 0.50  # townships that keep the sheet carelessly
    copy_rate: float = 0.30  # in those, share of rows copied from last month
    fill_rate: float = 0.80  # in those, share of an absentee's away days written P (else A)
    to_minimum: float = 0.40  # in those, share of absentees whose row is written up to the minimum
    reliable_fill_rate: float = 0.30  # even a careful township writes some away days P
    fieldwork_counties: float = 0.50  # share of cadres whose county uses the diary and monthly report
    diary_rate: float = 0.60  # share of days in the village an ordinary cadre writes a diary entry
    report_honest: float = 0.90  # an ordinary cadre submits the monthly report
    report_absentee: float = 0.60  # an absentee does
    trip_honest: float = 0.50  # months with a reported trip (B days)
    trip_absentee: float = 0.05
    leave_honest: float = 0.15  # months with leave (L days)
    leave_absentee: float = 0.05
    late_trip: float = 0.10  # a trip reported late
    overdue_honest: float = 0.03  # months with a return from leave not reported
    overdue_absentee: float = 0.10
    retro_honest: float = 0.03  # months with a 补假 request
    retro_absentee: float = 0.10


BASE = Assumptions()

# Each assumption weakened: the absentees look more like everyone else, or the records say less.
WEAKENED = {
    "fewer absentees (5 %)": {"absentee_share": 0.05},
    "absentees away less (30 % of days)": {"absentee_away": 0.30},
    "fewer careless townships (20 %)": {"unreliable_townships": 0.20},
    "fewer copied rows (10 %)": {"copy_rate": 0.10},
    "fewer filled days (40 %), none to the minimum": {
        "fill_rate": 0.40,
        "reliable_fill_rate": 0.10,
        "to_minimum": 0.0,
    },
    "no diary or monthly report anywhere": {"fieldwork_counties": 0.0},
    "absentees write diary and reports like everyone": {"report_absentee": 0.90},
    "absentees report trips and leave like everyone": {
        "trip_absentee": 0.30,
        "leave_absentee": 0.15,
        "overdue_absentee": 0.03,
        "retro_absentee": 0.03,
    },
    "all of the above together": {
        "absentee_away": 0.30,
        "unreliable_townships": 0.20,
        "copy_rate": 0.10,
        "fill_rate": 0.40,
        "reliable_fill_rate": 0.10,
        "to_minimum": 0.0,
        "fieldwork_counties": 0.0,
        "report_absentee": 0.90,
        "trip_absentee": 0.30,
        "leave_absentee": 0.15,
        "overdue_absentee": 0.03,
        "retro_absentee": 0.03,
    },
}
# In the "like everyone" case the absentee's diary also covers the days marked P like an ordinary
# cadre's: the diary is then written away from the village.
MIMIC_DIARY = {"absentees write diary and reports like everyone", "all of the above together"}


class Cadre:
    __slots__ = ("absentee", "careless", "fieldwork", "rows", "away", "finding_month", "events")

    def __init__(self, absentee, careless, fieldwork):
        self.absentee, self.careless, self.fieldwork = absentee, careless, fieldwork
        self.rows = []  # recorded rows, one string per month (P, B, L, A over the working days)
        self.away = []  # the true away days of each month (sets of day indexes)
        self.finding_month = None  # the last month a check found a discrepancy
        self.events = []  # per month: dict of the cadre's own traces


def simulate(
    a: Assumptions, seed=2024, months=24, cadres=5000, township_size=20, mimic_diary=False, threshold=None
):
    threshold = threshold or THRESHOLD
    rng = random.Random(seed)
    people = []
    for _t in range(cadres // township_size):
        careless = rng.random() < a.unreliable_townships
        fieldwork = rng.random() < a.fieldwork_counties
        for _i in range(township_size):
            people.append(Cadre(rng.random() < a.absentee_share, careless, fieldwork))
    found = {"risk": [0, 0, 0], "uniform": [0, 0, 0]}  # checks, absentees found, anyone found absent
    for m in range(months):
        n = WORKING_DAYS[m % 12]
        required = min(MINIMUM, n)
        for c in people:
            _month(rng, a, c, n, mimic_diary, required)
        if m < 3:
            continue  # a quarter of history before the first plan
        scores = {i: _score(a, c, m, n, required) for i, c in enumerate(people)}
        risk_ids, sample = draw(scores, threshold, SAMPLE_PERCENT, seed=rng.randrange(2**62))
        chosen = risk_ids + sample
        uniform = rng.sample(range(len(people)), len(chosen))
        for name, ids in (("risk", chosen), ("uniform", uniform)):
            for i in ids:
                c = people[i]
                day = rng.randrange(n)
                away = day in c.away[m]
                found[name][0] += 1
                if away:
                    found[name][2] += 1
                    found[name][1] += c.absentee
                    if c.rows[m][day] in "PB" and name == "risk":
                        c.finding_month = m  # the plan the county actually runs feeds the next
    out = {}
    for name, (checks, absentees, absent) in found.items():
        out[name] = {
            "checks": checks,
            "absentees_per_100": round(100 * absentees / checks, 2),
            "absent_per_100": round(100 * absent / checks, 2),
        }
    out["ratio"] = round(out["risk"]["absentees_per_100"] / out["uniform"]["absentees_per_100"], 2)
    out["checks_per_month"] = round(out["risk"]["checks"] / (months - 3))
    return out


def _month(rng, a, c, n, mimic_diary, required):
    away_rate = a.absentee_away if c.absentee else a.honest_away
    away = {d for d in range(n) if rng.random() < away_rate}
    codes = ["P"] * n
    ev = {"trip": False, "leave": False, "late": False, "overdue": False, "retro": False}
    if rng.random() < (a.trip_absentee if c.absentee else a.trip_honest):
        d = rng.randrange(n)
        for k in range(d, min(n, d + rng.randint(1, 3))):
            codes[k] = "B"
            away.discard(k)  # a reported trip is not an absence
        ev["trip"], ev["late"] = True, rng.random() < a.late_trip
    if rng.random() < (a.leave_absentee if c.absentee else a.leave_honest):
        d = rng.randrange(n)
        for k in range(d, min(n, d + rng.randint(1, 3))):
            codes[k] = "L"
            away.discard(k)
        ev["leave"] = True
    ev["overdue"] = rng.random() < (a.overdue_absentee if c.absentee else a.overdue_honest)
    ev["retro"] = rng.random() < (a.retro_absentee if c.absentee else a.retro_honest)
    fill = a.fill_rate if c.careless else a.reliable_fill_rate
    if c.absentee and c.careless and rng.random() < a.to_minimum:
        # Written up to the minimum: away days P until the row reaches it, the rest covered as leave.
        here = sum(code in "PB" for code in codes) - len(away)
        for d in sorted(away):
            codes[d] = "P" if here < required else "L"
            here += codes[d] == "P"
        away = set(away)
        fill = None
    for d in away if fill is not None else ():
        # An ordinary cadre's unannounced day away is never on the sheet; an absentee's sometimes.
        codes[d] = "A" if c.absentee and rng.random() >= fill else "P"
    row = "".join(codes)
    ev["same_as_prev"] = False
    if c.careless and c.rows and rng.random() < a.copy_rate:
        row = (c.rows[-1] + "P" * n)[:n]
        ev["same_as_prev"] = True
    elif c.rows and set(row) == set(c.rows[-1]) == {"P"}:
        # Two real months' rows coincide day by day when both are plain P and the calendars line up
        # (rest days in the same places): about one month pair in seven.
        ev["same_as_prev"] = rng.random() < 1 / 7
    c.rows.append(row)
    c.away.append(away)
    present_days = [d for d in range(n) if row[d] == "P"]
    if c.fieldwork:
        really_there = [d for d in present_days if d not in away or mimic_diary]
        diary = sum(rng.random() < a.diary_rate for _d in really_there)
        ev["untraced"] = bool(present_days) and (len(present_days) - diary) >= UNTRACED_SHARE * len(
            present_days
        )
        ev["no_report"] = rng.random() >= (a.report_absentee if c.absentee else a.report_honest)
    else:
        ev["untraced"] = ev["no_report"] = False
    c.events.append(ev)


def _score(a, c, m, n, required):
    """The signals of supervision/signals.py on the evidence month (the one just finished)."""
    row, prev, ev = c.rows[m], c.rows[m - 1], c.events[m]
    score = 0
    if ev["same_as_prev"] and "P" in row:
        score += WEIGHTS["copied_row"]
    if all(set(c.rows[k]) <= {"P"} for k in (m, m - 1, m - 2)) and not any(
        c.events[k]["trip"] or c.events[k]["leave"] for k in (m, m - 1, m - 2)
    ):
        score += WEIGHTS["all_present_quarter"]
    n_prev = WORKING_DAYS[(m - 1) % 12]
    req_prev = min(MINIMUM, n_prev)
    here = row.count("P") + row.count("B")
    here_prev = prev.count("P") + prev.count("B")
    if here == required and here_prev == req_prev:
        score += WEIGHTS["at_minimum"]
    if ev["untraced"]:
        score += WEIGHTS["untraced_days"]
    if ev["late"]:
        score += WEIGHTS["late_trips"]
    if ev["overdue"]:
        score += WEIGHTS["overdue_return"]
    if ev["retro"]:
        score += WEIGHTS["retroactive_leave"]
    if c.finding_month is not None and m - c.finding_month <= 12:
        score += WEIGHTS["earlier_finding"]
    if ev["no_report"]:
        score += WEIGHTS["no_monthly_report"]
    return score


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--cadres", type=int, default=5000)
    parser.add_argument("--json", default=str(ROOT / "bench" / "supervision_sim.json"))
    args = parser.parse_args(argv)
    results = {"seed": args.seed, "months": args.months, "cadres": args.cadres, "assumptions": vars(BASE)}
    base = simulate(BASE, args.seed, args.months, args.cadres)
    results["base"] = base
    print(f"{'case':52} {'checks/mo':>9} {'risk /100':>9} {'uniform /100':>12} {'ratio':>6}")
    print(
        f"{'stated assumptions':52} {base['checks_per_month']:>9} {base['risk']['absentees_per_100']:>9} "
        f"{base['uniform']['absentees_per_100']:>12} {base['ratio']:>6}"
    )
    results["weakened"] = {}
    for name, change in WEAKENED.items():
        r = simulate(
            replace(BASE, **change), args.seed, args.months, args.cadres, mimic_diary=name in MIMIC_DIARY
        )
        results["weakened"][name] = {"change": change, **r}
        print(
            f"{name:52} {r['checks_per_month']:>9} {r['risk']['absentees_per_100']:>9} "
            f"{r['uniform']['absentees_per_100']:>12} {r['ratio']:>6}"
        )
    Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    ok = base["ratio"] >= 2
    print(
        ("OK" if ok else "FAIL")
        + f": the risk plan finds {base['ratio']}× the absentees per check of uniform checks"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
