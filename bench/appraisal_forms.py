"""The appraisal round's printed forms (issue 18, item 4): ``make bench`` runs it.

Database: the province benchmark's embedded PostgreSQL (``var/bench-pgdata``), its own database
``bench_forms``: the demo county (``seed_demo``) plus synthetic work-team members serving in its
villages all year, so that an annual round of the demo county covers 250 people, each with a
township opinion, a unit opinion and a 民主测评 (reused on later runs; ``--reseed`` starts again).
With ``DATABASE_URL`` set, that database is used instead. Production-like settings
(``bench/bench_settings.py``).

Measures through the test client, as the county admin, and writes ``bench/appraisal_forms.json``:
- the round's forms as HTML (every person's 年度考核登记表 on one page): server time, queries;
- the same as PDF (headless Chromium): server time, pages (must equal the people), size;
- the result letters of the round as PDF.
Target: each under 10 s for 250 people.

    .venv/bin/python bench/appraisal_forms.py [--people 250] [--reps 3] [--reseed]
"""

import argparse
import datetime
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import province as P  # noqa: E402  (the province benchmark's database and helpers)

P.DB_NAME = "bench_forms"
RESULTS = ROOT / "bench" / "appraisal_forms.json"
TARGET_S = 10
YEAR = 2025
PAGE_RE = re.compile(rb"/Type\s*/Page\b")


def seed(people):
    """An annual round of YEAR in the demo county with ``people`` people (created once)."""
    from django.db import transaction

    from accounts.models import User
    from appraisal.models import AppraisalRound, DemocraticAssessment, Opinion
    from assignments.models import Assignment
    from cadres import idcard
    from cadres.models import Cadre, Unit
    from villages.models import Region, Village

    county = Region.objects.get(code="370682000000")
    existing = AppraisalRound.objects.filter(county=county, year=YEAR, kind="annual").first()
    if existing is not None:
        return existing
    admin = User.objects.get(username="county")
    from appraisal import rules

    probe = AppraisalRound(county=county, year=YEAR, kind="annual")
    covered = len({a.cadre_id for a in rules.covered_assignments(probe)})
    extra = max(0, people - covered)
    villages = list(Village.objects.filter(code__startswith=county.prefix).order_by("code"))
    units = list(Unit.objects.filter(region__code__startswith=county.prefix[:4]).order_by("pk"))
    with transaction.atomic():
        cadres = []
        for i in range(extra):
            birth = datetime.date(1980 + i % 15, 1 + i % 12, 1 + i % 28)
            first17 = f"370682{birth:%Y%m%d}{(i * 2 + 1) % 1000:03d}"
            cadres.append(
                Cadre(
                    name=f"测评{i:03d}",
                    gender="M",
                    id_number=first17 + idcard.check_digit(first17),
                    birth_date=birth,
                    political_status="party_member",
                    party_joined_on=datetime.date(2005, 7, 1),
                    party_full_member_on=datetime.date(2006, 7, 1),
                    work_started_on=datetime.date(2004, 8, 1),
                    unit=units[i % len(units)],
                    position="科员",
                    rank="staff",
                    education="bachelor",
                    region=county,
                )
            )
        Cadre.objects.bulk_create(cadres)
        Assignment.objects.bulk_create(
            Assignment(
                cadre=c,
                village=villages[i % len(villages)],
                role="team_member",
                start_date=datetime.date(YEAR, 1, 1),
                planned_end_date=datetime.date(YEAR + 1, 12, 31),
                created_by=admin,
            )
            for i, c in enumerate(cadres)
        )
        round_ = AppraisalRound.start(county, YEAR, "annual", admin)
        appraisals = list(round_.appraisals.all())
        text = "该同志驻村期间工作扎实，深入农户走访，推动村集体经济发展，群众认可度高。" * 2
        Opinion.objects.bulk_create(
            Opinion(appraisal=a, source=s, suggested_grade="competent", text=text, given_by=admin)
            for a in appraisals
            for s in ("township", "unit")
        )
        DemocraticAssessment.objects.bulk_create(
            DemocraticAssessment(
                appraisal=a,
                held_on=datetime.date(YEAR, 12, 20),
                participants=30,
                good=20,
                fairly_good=6,
                average=3,
                poor=1,
                entered_by=admin,
            )
            for a in appraisals
        )
    return round_


def timed(client, url, reps):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, response, queries = [], None, 0
    for _ in range(reps):
        with CaptureQueriesContext(connection) as q:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        queries = len(q)
        assert response.status_code == 200, (url, response.status_code)
    return times, response, queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=250)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    os.environ.update(P.BENCH_ENV)
    os.environ["PYTHONPATH"] = f"{ROOT / 'bench'}:{ROOT}"
    if not os.environ.get("DATABASE_URL"):
        _server, url = P.start_database()  # stops with this process (cleanup_mode=stop)
        os.environ["DATABASE_URL"] = url
        if args.reseed:
            P.drop_database(url)
    P.setup_django()
    from appraisal.models import AppraisalRound

    if not _migrated() or not AppraisalRound.objects.exists():
        P.log("migrating and seeding the demo county …")
        P.manage("migrate", "--noinput")
        P.manage("seed_demo")
    P.manage("collectstatic", "--noinput")  # production storage: the hashed static files' manifest
    round_ = seed(args.people)
    people = round_.appraisals.count()
    P.log(f"round {round_}: {people} people")

    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from appraisal import pdf

    client = Client()
    client.force_login(User.objects.get(username="county"))
    results = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count()},
        "people": people,
        "target_s": TARGET_S,
    }
    times, response, queries = timed(client, reverse("appraisal:forms_html", args=[round_.pk]), args.reps)
    results["html"] = {
        "median_s": round(statistics.median(times), 2),
        "max_s": round(max(times), 2),
        "queries": queries,
        "bytes": len(response.content),
    }
    P.log(f"forms HTML: median {results['html']['median_s']} s, {queries} queries")
    if pdf.available():
        for key, name in (("pdf", "appraisal:forms_pdf"), ("letters_pdf", "appraisal:letters_pdf")):
            times, response, queries = timed(client, reverse(name, args=[round_.pk]), args.reps)
            results[key] = {
                "median_s": round(statistics.median(times), 2),
                "max_s": round(max(times), 2),
                "pages": len(PAGE_RE.findall(response.content)),
                "bytes": len(response.content),
                "queries": queries,
            }
            P.log(f"{key}: median {results[key]['median_s']} s, {results[key]['pages']} pages")
        results["pages_match_people"] = results["pdf"]["pages"] == people
    else:
        results["pdf"] = "Chromium not available: PDF not measured"
    met = results["html"]["median_s"] < TARGET_S and (
        not isinstance(results.get("pdf"), dict) or results["pdf"]["median_s"] < TARGET_S
    )
    results["met"] = met
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    P.log(f"written {RESULTS.relative_to(ROOT)}")
    return 0 if met else 1


def _migrated():
    from django.db import connection

    return "appraisal_appraisalround" in connection.introspection.table_names()


if __name__ == "__main__":
    sys.exit(main())
