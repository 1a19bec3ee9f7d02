"""Render every Excel export of the demo data as a printed page (issue 15): build each with
``manage.py export``, convert it to PDF with LibreOffice and write the first page of each as
docs/screenshots/excel-<kind>.png (pdftoppm), so the printed form can be looked at.

    python bench/excel_pdf.py [--region 370682000000] [--month 2026-11] [--year 2024] [--out DIR]

Uses the database of DATABASE_URL (seeded with ``manage.py seed_demo``); needs ``soffice`` and
``pdftoppm`` on the PATH. Keeps the .xlsx and .pdf files in --out (default var/excel-pdf).
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("roster", "attendance", "appraisal", "coverage", "allowance")


def run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="370682000000")
    parser.add_argument("--month", default="2026-11", help="attendance and allowance")
    parser.add_argument("--year", default="2024", help="appraisal (the year's annual round)")
    parser.add_argument("--date", default=None, help="roster and coverage (default today)")
    parser.add_argument("--out", default=str(ROOT / "var" / "excel-pdf"))
    parser.add_argument("--dpi", default="70")
    args = parser.parse_args()
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: install LibreOffice and poppler-utils.")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shots = ROOT / "docs" / "screenshots"
    period = {
        "roster": ["--date", args.date] if args.date else [],
        "coverage": ["--date", args.date] if args.date else [],
        "attendance": ["--month", args.month],
        "allowance": ["--month", args.month],
        "appraisal": ["--year", args.year],
    }
    # LibreOffice refuses to start twice on one profile: a profile of its own, removed afterwards.
    with tempfile.TemporaryDirectory() as profile:
        for kind in KINDS:
            xlsx = out / f"{kind}.xlsx"
            run(
                sys.executable,
                "manage.py",
                "export",
                kind,
                "--region",
                args.region,
                *period[kind],
                "-o",
                str(xlsx),
            )
            run(
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(xlsx),
            )
            pdf = out / f"{kind}.pdf"
            pages = (
                next(
                    (
                        line.split()[-1]
                        for line in run("pdfinfo", str(pdf)).stdout.splitlines()
                        if line.startswith("Pages:")
                    ),
                    "?",
                )
                if shutil.which("pdfinfo")
                else "?"
            )
            run(
                "pdftoppm",
                "-r",
                args.dpi,
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                "-png",
                str(pdf),
                str(shots / f"excel-{kind}"),
            )
            print(f"{kind:<11} {pages:>3} pages  {shots / f'excel-{kind}.png'}")


if __name__ == "__main__":
    main()
