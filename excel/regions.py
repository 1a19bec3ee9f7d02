"""Import of the administrative divisions (行政区划): province → city → county → township.

Accepts the National Bureau of Statistics' published layout (统计用区划代码 | 名称, the village pages
also 城乡分类代码), copied from its pages into a sheet, and the common re-publications of it
(区划代码 / 代码 / 行政区划代码, 单位名称 / 区划名称). The code alone decides a row's level and parent:
12 digits PP CC DD TTT VVV; a level's own group is not zero and every group below it is. The parent
is the nearest group above that is not zero (a township of 东莞市, 441900003000, hangs under the city:
its county digits are 00). Rows may come in any order; a parent must be in the file or registered.

- Village rows (the last three digits not 000) are not regions: they are counted and skipped (the
  villages import registers villages with their categories).
- 6-digit 行政区划代码 (GB/T 2260) are exact for province, city and county: the 统计用区划代码 of those
  levels is the 6-digit code followed by six zeros; a 9-digit township code (GB/T 10114) likewise
  takes 000. Such codes are accepted, and the result says how many were padded.
- A code already registered under another name is renamed (counted as updated); nothing is deleted.
- Who: a superuser anything; a county admin (``access.MANAGE_REGIONS``) the townships of its county.
  Rows above (its province, city, county) pass when they agree with what is registered, so an NBS
  extract that includes the path down imports as it is; anything else is a row error.

All-or-nothing like every import: every problem is listed with its row and column, and only a clean
file is written (bulk, level by level, in one transaction).

Registers itself as the import kind "regions" in ``excel.imports`` (which imports this module at its
end); written to work whichever of the two modules is imported first.
"""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import access
from config.textguard import formula_errors
from villages.models import Region, level_of_code

from . import imports
from .imports import BATCH, Col, ImportRefused, Row, _Importer, refuse_duplicates, text

KIND = "regions"
TITLE = "行政区划"  # the kind's name in the templates' file names (data, like the other kinds')

CODE_HEADERS = ("统计用区划代码", "区划代码", "代码", "行政区划代码", "统计用代码")
NAME_HEADERS = ("名称", "单位名称", "区划名称")

COLUMNS = [
    Col(CODE_HEADERS[0], "code", required=True, aliases=CODE_HEADERS[1:], example="示例：370682101000"),
    Col(NAME_HEADERS[0], "name", required=True, aliases=NAME_HEADERS[1:], example="沐浴店镇"),
    # On the NBS village pages only; read and ignored (village rows are skipped anyway).
    Col("城乡分类代码", "urban_rural"),
]

LEVELS = ("province", "city", "county", "township")


class _AnyHeader(str):
    """The key header of this kind: equal to any code or name header.

    ``imports.locate_columns`` finds the header row as the first row containing ``KEY_HEADER[kind]``,
    one string; the NBS layout and its re-publications name the code column four ways. A str that
    compares equal to each of them lets that search accept all of them without changing it (str
    subclasses' reflected ``__eq__`` is tried first, so ``key in row`` calls this one)."""

    def __eq__(self, other):
        return isinstance(other, str) and other in CODE_HEADERS + NAME_HEADERS

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


KEY_HEADER = _AnyHeader(CODE_HEADERS[0])


def normalize_code(raw):
    """(12-digit code, padded?) for a cell, or raise ``ValueError`` with the message for the row."""
    code = re.sub(r"\s", "", text(raw))
    if not code.isdigit() or not code.isascii():
        raise ValueError(
            _("A region code is made of digits only (统计用区划代码, 12 digits, e.g. 370682101000).")
        )
    if len(code) == 12:
        return code, False
    if len(code) in (6, 9):
        return code.ljust(12, "0"), True
    raise ValueError(
        _(
            "A region code has 12 digits (统计用区划代码, e.g. 370682101000); this one has %(n)d. A 6-digit "
            "行政区划代码 is accepted for a province, city or county, a 9-digit code for a township."
        )
        % {"n": len(code)}
    )


def parent_code(code, level):
    """The code of the region directly above, or None for a province: the nearest higher group
    whose digits are not all zeros (the province group never is)."""
    groups = [("city", 2, 4), ("county", 4, 6), ("township", 6, 9)]
    above = [(start, end) for lv, start, end in groups if LEVELS.index(lv) < LEVELS.index(level)]
    for start, end in reversed(above):
        if code[start:end].strip("0"):
            return code[:end].ljust(12, "0")
    return None if level == "province" else code[:2].ljust(12, "0")


class RegionImporter(_Importer):
    kind = KIND
    fields = ("name",)

    def run(self, rows, result):
        result.villages_skipped = 0
        result.padded = 0
        result.notes = []
        parsed = []  # (row, code, level, padded)
        for row in rows:
            try:
                code, padded = normalize_code(row.cells.get("code"))
            except ValueError as e:
                self.error(row, "code", e)
                continue
            level = level_of_code(code)
            if level == "village":
                result.villages_skipped += 1
                continue
            if level is None:
                self.error(
                    row,
                    "code",
                    _(
                        "%(code)s is not the code of a province, city, county or township: a province "
                        "code ends in 10 zeros, a city code in 8, a county code in 6, a township code in 3, "
                        "with the digits before them not all zero."
                    )
                    % {"code": code},
                )
                continue
            result.padded += padded
            parsed.append((row, code, level, padded))
        # The same region twice (12 digits in one row and 6 in another, too) is refused as a whole.
        codes_of = {id(p[0]): p[1] for p in parsed}
        refuse_duplicates([p[0] for p in parsed], lambda r: codes_of[id(r)], CODE_HEADERS[0])

        in_file = {code: (row, level) for row, code, level, _p in parsed}
        wanted = set(in_file) | {parent_code(c, lv) for c, (_r, lv) in in_file.items()} - {None}
        # Looked up through the jurisdiction, plus the user's own region and those above it (which
        # the user sees named everywhere): an extract with the path down compares against them.
        existing = {r.code: r for r in access.scope(self.user, Region.objects.filter(code__in=wanted))}
        path = set(self._path()) & wanted - set(existing)
        if path:
            existing |= {r.code: r for r in Region.objects.filter(code__in=path)}

        new, renamed = {}, []
        for row, code, level, _padded in parsed:
            name = text(row.cells.get("name"))
            region = existing.get(code)
            if not self._allowed(row, code, level, name, region):
                continue
            obj = Region(code=code, name=name, level=level)
            try:
                # The level comes from the code and the parent from its digits, so Region.clean()'s
                # checks of the two hold by construction; its parent check needs a saved parent,
                # which a parent new in this file is not yet.
                obj.clean_fields(exclude=["parent"])
                bad = formula_errors(obj, ["name"])
                if bad:
                    raise ValidationError(bad)
            except ValidationError as e:
                self.validation_errors(row, e, {})
                continue
            up = parent_code(code, level)
            if up and up not in existing and up not in in_file:
                self.error(
                    row,
                    "code",
                    _(
                        "Its parent region %(parent)s is neither registered nor in this file: add a row "
                        "%(parent)s with its name (rows may be in any order)."
                    )
                    % {"parent": up},
                )
                continue
            if region is None:
                new[code] = obj
            elif region.name != name:
                region.name = name
                renamed.append(region)
            else:
                result.unchanged += 1
        if self.errors:
            return
        self._write(new, renamed, existing)
        result.created, result.updated = len(new), len(renamed)
        self._notes(result)

    def _path(self):
        region = getattr(self.user, "region", None)
        return [region.code, *region.ancestor_codes] if region is not None else []

    def _allowed(self, row, code, level, name, region):
        """Whether the user may write this row; else a row error (the same words whether a code
        outside the user's region is registered or not: no existence oracle)."""
        probe = region or Region(code=code, level=level)
        if access.can_write_region(self.user, probe):
            return True
        may = access.can(self.user, access.MANAGE_REGIONS)
        # The user's own region and those above it (a county admin's county, city, province).
        on_the_path = bool(self.user.region_id) and self.user.region.code.startswith(probe.prefix)
        if may and on_the_path and region is not None and region.name == name:
            return True  # as registered: an extract that includes the path down passes unchanged
        if not may:
            message = _("You may not import administrative divisions.")
        elif on_the_path:
            message = _(
                "Only a system administrator may add or rename %(code)s: you may import the townships "
                "of %(region)s. Leave this row out, or give it the registered name."
            ) % {"code": code, "region": self.user.region.name}
        else:
            message = _("%(code)s lies outside your jurisdiction (%(region)s).") % {
                "code": code,
                "region": self.user.region.name,
            }
        self.error(row, "code", message)
        return False

    @staticmethod
    def _write(new, renamed, existing):
        """Level by level, so each level's parents have their keys: five statements per level
        (and per 1,000 rows), whatever the file's order."""
        known = dict(existing)
        try:
            with transaction.atomic():
                for level in LEVELS:
                    batch = [r for r in new.values() if r.level == level]
                    for r in batch:
                        up = parent_code(r.code, level)
                        r.parent = known.get(up) or new.get(up) if up else None
                    Region.objects.bulk_create(batch, batch_size=BATCH)
                if renamed:
                    Region.objects.bulk_update(renamed, ["name"], batch_size=BATCH)
        except IntegrityError as e:  # a region saved by someone else while the file was checked
            raise ImportRefused(
                _("The database refused the import; nothing was saved: %(error)s") % {"error": e}
            ) from e

    @staticmethod
    def _notes(result):
        if result.villages_skipped:
            result.notes.append(
                ngettext(
                    "%(n)d village row (code not ending in 000) was skipped: villages are imported "
                    "with the villages import.",
                    "%(n)d village rows (codes not ending in 000) were skipped: villages are imported "
                    "with the villages import.",
                    result.villages_skipped,
                )
                % {"n": result.villages_skipped}
            )
        if result.padded:
            result.notes.append(
                ngettext(
                    "%(n)d short code (6-digit 行政区划代码 or 9-digit township code) was completed "
                    "with zeros to 12 digits.",
                    "%(n)d short codes (6-digit 行政区划代码 or 9-digit township codes) were completed "
                    "with zeros to 12 digits.",
                    result.padded,
                )
                % {"n": result.padded}
            )


def run_rows(pairs, user):
    """Import (code, name) pairs as if they were a file's rows (row numbers from 2): for the
    ``load_regions`` command, which reads a packaged list, and goes through the same checks."""
    rows = [Row(i, {"code": code, "name": name}) for i, (code, name) in enumerate(pairs, start=2)]
    result = imports.Result(KIND, rows=len(rows))
    importer = RegionImporter(user)
    importer.run(rows, result)
    result.errors = sorted(importer.errors, key=lambda e: e.row)
    if result.errors:
        result.created = result.updated = result.unchanged = 0
    return result


def _register():
    imports.KINDS[KIND] = TITLE
    imports.COLUMNS[KIND] = COLUMNS
    imports.KEY_HEADER[KIND] = KEY_HEADER
    imports.IMPORTERS[KIND] = RegionImporter


_register()
