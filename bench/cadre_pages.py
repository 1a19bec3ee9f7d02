"""The cadre's own pages (issue 16): ``make bench`` runs it after the province benchmark.

Database: the province benchmark's embedded PostgreSQL (``var/bench-pgdata``), its own database
``bench_cadre`` seeded once with ``seed_demo --counties 12`` (about 2,100 cadres serving last month; reused on
later runs). Production-like settings (``bench/bench_settings.py``).

Measures and prints, and writes ``bench/cadre_results.json``:
- each cadre page through the test client, warm, ≥ 20 repetitions: p50 / p95 server time and the query
  count, for the cadre with the most records and for one with few (constant queries);
  target p50 ≤ 50 ms;
- the month-end burst: every serving cadre (≥ 2,000) submits last month's report (月汇报) — a GET of the
  form for its CSRF token, then the POST — against gunicorn with 2 workers on 127.0.0.1, 8 clients at
  once; target: all 2,000 within 10 minutes, p95 ≤ 500 ms per request.

    .venv/bin/python bench/cadre_pages.py [--reps 20] [--burst 2000] [--reseed]
"""

import argparse
import concurrent.futures
import datetime
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import province as P  # noqa: E402  (the province benchmark's database and helpers)

P.DB_NAME = "bench_cadre"
P.COUNTIES = 12  # about 2,100 cadres serving last month
RESULTS = ROOT / "bench" / "cadre_results.json"
TARGET_PAGE_MS = 50
TARGET_BURST_P95_MS = 500
TARGET_BURST_S = 600
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def previous_month(today):
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def cadre_accounts(today):
    """An account for every cadre serving today (unusable password: the bench logs in by session)."""
    from accounts.models import Role, User
    from assignments.models import Assignment

    serving = Assignment.objects.serving_on(today).values_list("cadre_id", "cadre__name").distinct()
    have = set(User.objects.filter(role=Role.CADRE).values_list("cadre_id", flat=True))
    new = [
        User(username=f"bench-cadre-{cid}", role=Role.CADRE, cadre_id=cid, last_name=name, password="!")
        for cid, name in serving
        if cid not in have
    ]
    User.objects.bulk_create(new, batch_size=2000)
    return list(User.objects.filter(role=Role.CADRE).order_by("pk"))


def session_cookie(user):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.JurisdictionModelBackend"  # the one that loads users
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def measure_pages(users, today, reps):
    from django.db.models import Count

    from fieldwork.models import DiaryEntry

    counts = dict(
        DiaryEntry.objects.values("assignment__cadre_id")
        .annotate(n=Count("pk"))
        .values_list("assignment__cadre_id", "n")
    )
    # The cadre with the most diary entries against one with a single entry (a list with none at all
    # skips the page's count query, which is not a query that grows with the records).
    ranked = sorted((u for u in users if counts.get(u.cadre_id)), key=lambda u: counts[u.cadre_id])
    many, few = ranked[-1], ranked[0]
    prev = f"{previous_month(today):%Y-%m}"
    pages = [
        ("cadre.my_month", "/my/"),
        ("cadre.leave", "/my/leave/"),
        ("cadre.trips", "/my/trips/"),
        ("cadre.diary", "/my/diary/"),
        ("cadre.reports", "/my/reports/"),
        ("cadre.report_month", f"/my/reports/{prev}/"),
        ("cadre.checkin", "/my/checkin/"),
    ]
    results = []
    big, small = P.client_for(many), P.client_for(few)
    for name, url in pages:
        get = P.checked_get(big, url)
        times = P.time_requests(get, reps)
        queries = P.count_queries(get)
        queries_small = P.count_queries(P.checked_get(small, url))
        size = len(get().content)
        p50 = statistics.median(times)
        results.append(
            {
                "name": name,
                "url": url,
                "p50_ms": round(p50, 1),
                "p95_ms": round(P.percentile(times, 95), 1),
                "queries": queries,
                "queries_small": queries_small,
                "html_kb": round(size / 1024, 1),
                "target": f"p50 ≤ {TARGET_PAGE_MS} ms, queries not growing with the records",
                "met": p50 <= TARGET_PAGE_MS and queries <= queries_small,
            }
        )
        P.log(
            f"  {name:22} p50 {p50:6.1f} ms  queries {queries} (few records: {queries_small})  {size / 1024:.1f} KB"
        )
    return results, counts.get(many.cadre_id, 0), counts.get(few.cadre_id, 0)


def request(port, method, path, cookie, body=None, csrf=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie, "Host": "127.0.0.1"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{port}{path}"
    t = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - t) * 1000
    conn.close()
    return response.status, data.decode(errors="replace"), elapsed


def submit_report(port, cookie, path):
    status, html, t_get = request(port, "GET", path, cookie)
    if status != 200:
        return False, [t_get], f"GET {status}"
    match = CSRF_RE.search(html)
    if match is None:
        return False, [t_get], "no csrf token"
    body = f"csrfmiddlewaretoken={match.group(1)}&text=本月走访入户、推进项目，详见日记。&action=submit"
    status, _html, t_post = request(port, "POST", path, cookie, body=body.encode())
    ok = status == 302
    return ok, [t_get, t_post], "" if ok else f"POST {status}"


def measure_burst(users, today, n):
    from django.middleware.csrf import _get_new_csrf_string

    from fieldwork.models import MonthlyReport
    from fieldwork.mymonth import assignment_in

    month = previous_month(today)
    MonthlyReport.objects.filter(month=month, assignment__cadre__in=[u.cadre_id for u in users]).delete()
    cadres = [u for u in users if assignment_in(u.cadre_id, month) is not None][:n]
    path = f"/my/reports/{month:%Y-%m}/"
    cookies = []
    for u in cadres:
        cookies.append((f"{session_cookie(u)}; csrftoken={_get_new_csrf_string()}",))
    port = P.free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}"}
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
            "--pythonpath",
            f"{ROOT / 'bench'},{ROOT}",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(port, "GET", "/accounts/login/", "")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.3)
        started = time.monotonic()
        times, failures = [], []
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            for ok, spent, why in pool.map(lambda c: submit_report(port, c[0], path), cookies):
                times.extend(spent)
                if not ok:
                    failures.append(why)
        wall = time.monotonic() - started
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    submitted = MonthlyReport.objects.filter(month=month, state="submitted").count()
    p95 = P.percentile(times, 95)
    result = {
        "name": "cadre.month_end_burst",
        "cadres": len(cadres),
        "submitted": submitted,
        "failures": len(failures),
        "first_failures": failures[:5],
        "wall_s": round(wall, 1),
        "requests": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        "target": f"{n} reports within {TARGET_BURST_S} s, p95 ≤ {TARGET_BURST_P95_MS} ms, 2 gunicorn workers",
        "met": len(cadres) >= n and not failures and wall <= TARGET_BURST_S and p95 <= TARGET_BURST_P95_MS,
    }
    P.log(
        f"  burst: {len(cadres)} cadres, {submitted} submitted, {len(failures)} failures, {wall:.1f} s, "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms"
    )
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    os.environ.update(P.BENCH_ENV)
    os.environ["PYTHONPATH"] = f"{ROOT / 'bench'}:{ROOT}"  # manage.py children find bench_settings
    _server, url = P.start_database()  # stops with this process (cleanup_mode=stop)
    os.environ["DATABASE_URL"] = url
    if args.reseed:
        P.drop_database(url)
    P.setup_django()
    P.prepare(args.reseed)
    from django.utils import timezone

    today = timezone.localdate()
    users = cadre_accounts(today)
    P.log(f"{len(users)} cadre accounts")
    pages, many, few = measure_pages(users, today, args.reps)
    burst = measure_burst(users, today, args.burst)
    results = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count()},
        "records_many_few": [many, few],
        "pages": pages,
        "burst": burst,
    }
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    P.log(f"written {RESULTS.relative_to(ROOT)}")
    return 0 if all(p["met"] for p in pages) and burst["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
