"""Reading the files offices make besides .xlsx: Excel 97–2003 .xls and CSV (UTF-8 or GBK/GB18030).

The imports call these with their own limits (``excel.imports`` holds them as module constants, so a
deployment or a test changes them in one place). Both raise ``Unreadable`` with a message that says
what is wrong and how to fix it; ``imports`` turns it into ``ImportRefused``.

.xls: calamine (the same reader as for .xlsx) allocates a sheet's whole used rectangle at once, as for
.xlsx: one cell at IV65536 in a 5 KB file cost 1 GB. So before calamine sees it, ``check_xls`` walks
every BIFF record of the workbook stream (olefile opens the compound file; no cell is decoded) and
bounds the rectangle of every sheet — the DIMENSIONS record and every cell record's row and column —,
the number of cells and of shared strings; formulas (stale or missing cached values), password
protection (FILEPASS) and macros are refused, as for .xlsx.
"""

import codecs
import csv
import io
import struct

from django.utils.translation import gettext as _


class Unreadable(Exception):
    """The file cannot be read; ``str(exc)`` says why and what to do."""


# --- .xls ---------------------------------------------------------------------------------------
_BOF, _EOF, _DIMENSIONS, _SST, _FILEPASS = 0x0809, 0x000A, 0x0200, 0x00FC, 0x002F
_FORMULAS = {0x0006, 0x0406, 0x04BC, 0x0221}  # FORMULA (BIFF8 and older), SHRFMLA, ARRAY
# Records that carry one cell at (row, column) in their first four bytes.
_ONE_CELL = {0x0203, 0x00FD, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6, 0x0208}  # 0x0208 is ROW (row only)
_MULTI_CELL = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column, …, last column (last two bytes)


def _column_letters(n):
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def check_xls(data, *, max_cells, max_strings):
    """Walk the BIFF records of an .xls before calamine allocates anything; refuse what it cannot bound."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:  # olefile raises its own and struct errors for damaged files
        raise Unreadable(
            _(
                "The .xls workbook is damaged or incomplete and cannot be read. Open it in Excel or WPS and "
                "save it again (as .xlsx if you can)."
            )
        ) from None
    with ole:
        streams = {"/".join(entry) for entry in ole.listdir()}
        if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
            raise Unreadable(
                _(
                    "The workbook is protected by a password (encrypted). Remove the password and save it again."
                )
            )
        if any(name.lower().startswith(("_vba_project", "vba")) for name in streams):
            raise Unreadable(
                _("The workbook contains macros (VBA). Save it as a plain workbook without macros.")
            )
        name = "Workbook" if "Workbook" in streams else "Book" if "Book" in streams else None
        if name is None:
            raise Unreadable(
                _("This is not an Excel workbook (an Office file of another kind?). Save it as .xlsx.")
            )
        stream = ole.openstream(name).read()
    _scan_biff(stream, max_cells, max_strings)


def _scan_biff(stream, max_cells, max_strings):
    pos, end = 0, len(stream)
    sheet = 0  # the substream being read: 0 the workbook globals, then 1, 2, … the sheets
    max_row = max_col = cells = 0

    def close_sheet():
        if max_row * max_col > max_cells:
            raise Unreadable(
                _(
                    "A sheet of the .xls workbook reaches row %(row)d and column %(col)d, %(cells)d cells in "
                    "all; at most %(max)d can be read. Delete the stray cells below or right of the table "
                    "(Ctrl+End in Excel shows the last one), or split the file."
                )
                % {"row": max_row, "col": max_col, "cells": max_row * max_col, "max": max_cells}
            )

    while pos + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        pos += 4 + length
        if kind == _BOF:
            close_sheet()
            sheet += 1
            max_row = max_col = 0
        elif kind == _FILEPASS:
            raise Unreadable(
                _(
                    "The workbook is protected by a password (encrypted). Remove the password and save it again."
                )
            )
        elif kind in _FORMULAS:
            row, col = struct.unpack_from("<HH", body) if len(body) >= 4 else (0, 0)
            raise Unreadable(
                _(
                    "The sheet holds formulas (the first in cell %(cell)s). Copy the table and paste it as "
                    "values only, then import."
                )
                % {"cell": f"{_column_letters(col + 1)}{row + 1}"}
            )
        elif kind == _DIMENSIONS and len(body) >= 8:
            # rows first … last + 1 (4 bytes each in BIFF8, 2 in BIFF5), columns first … last + 1
            _r0, r1, _c0, c1 = struct.unpack_from("<IIHH" if len(body) >= 12 else "<HHHH", body)
            max_row, max_col = max(max_row, r1), max(max_col, c1)
        elif kind in _ONE_CELL and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body)
            max_row = max(max_row, row + 1)
            if kind != 0x0208:
                max_col = max(max_col, col + 1)
                cells += 1
        elif kind in _MULTI_CELL and len(body) >= 6:
            row, first = struct.unpack_from("<HH", body)
            (last,) = struct.unpack_from("<H", body, len(body) - 2)
            max_row, max_col = max(max_row, row + 1), max(max_col, last + 1)
            cells += max(last - first + 1, 0)
        elif kind == _SST and len(body) >= 8:
            _total, unique = struct.unpack_from("<II", body)
            if unique > max_strings:
                raise Unreadable(
                    _("The workbook holds more than %(max)d texts; at most that many can be read.")
                    % {"max": max_strings}
                )
        if cells > max_cells:
            raise Unreadable(
                _("The sheet holds more than %(max)d cells; at most that many can be read. Split the file.")
                % {"max": max_cells}
            )
    close_sheet()


# --- CSV ----------------------------------------------------------------------------------------
def decode_csv(data):
    """The text of a CSV file: UTF-8 (with or without BOM) when it decodes as such, else GB18030 (a
    superset of GBK and GB2312, what Excel and WPS write for "CSV" on a Chinese Windows). Returns
    (text, encoding name)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "UTF-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Unreadable(
            _(
                "This file is saved as Unicode (UTF-16) text. In Excel choose 另存为 → CSV UTF-8 (逗号分隔), "
                "or save it as .xlsx."
            )
        )
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        raise Unreadable(
            _(
                "The CSV file is neither UTF-8 nor GBK/GB18030 text. Save it from Excel or WPS as CSV UTF-8, "
                "or as .xlsx."
            )
        ) from None


def read_csv(data, *, max_rows, max_columns, max_cells):
    """Rows of text (comma- or tab-separated, as detected from the first lines), bounded."""
    content, _encoding = decode_csv(data)
    if "\x00" in content:
        raise Unreadable(_("This is not a CSV text file (it holds binary data). Save the table as .xlsx."))
    head = content[:4096]
    delimiter = "\t" if head.count("\t") > head.count(",") else ","
    rows, cells = [], 0
    try:
        for row in csv.reader(io.StringIO(content, newline=""), delimiter=delimiter):
            if len(row) > max_columns:
                raise Unreadable(
                    _("Row %(row)d of the CSV file has %(n)d columns; at most %(max)d can be read.")
                    % {"row": len(rows) + 1, "n": len(row), "max": max_columns}
                )
            cells += len(row)
            if cells > max_cells:
                raise Unreadable(
                    _(
                        "The file holds more than %(max)d cells; at most that many can be read. Split the file."
                    )
                    % {"max": max_cells}
                )
            rows.append(row)
            if len(rows) > max_rows:
                break  # enough to know it is too long: the caller refuses by the row limit
    except csv.Error as e:
        raise Unreadable(
            _("The CSV file cannot be read (row %(row)d: %(error)s). Save it again from Excel or WPS.")
            % {"row": len(rows) + 1, "error": e}
        ) from None
    return rows
