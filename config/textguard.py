"""Text that a spreadsheet would run as a formula, refused where it is entered (issue 14, item 11).

Names typed into the system end up in Excel exports (the title row names the region; the rows name
villages, units and cadres). The exports quote every such cell anyway (``excel.workbook.safe``);
this is the other half: a name starting with = + - @ is refused by the model's ``clean()`` (forms,
the admin and the imports all call it), so it never reaches a file in the first place.
"""

from django.utils.translation import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@")


def formula_start(value):
    """The character a spreadsheet would take for the start of a formula, or None."""
    if not isinstance(value, str):
        return None
    first = value.lstrip(" \t\r\n\u3000")[:1]
    return first if first in FORMULA_STARTS else None


def formula_errors(obj, fields):
    """``{field: message}`` for each of ``fields`` of ``obj`` whose text starts like a formula."""
    errors = {}
    for name in fields:
        char = formula_start(getattr(obj, name, None))
        if char:
            errors[name] = _(
                "This text may not start with %(char)s: a spreadsheet would run it as a formula. "
                "Remove the leading character."
            ) % {"char": char}
    return errors
