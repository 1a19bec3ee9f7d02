"""GB 11643-1999 citizen identification numbers (公民身份号码)."""

import datetime

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(value: str) -> str:
    """Upper-case X, strip spaces and full-width digits that office software slips in."""
    value = (value or "").strip().replace(" ", "").replace("\u200b", "")
    value = value.translate({0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF38: "X", 0xFF58: "X"})
    return value.upper()


class IdNumberError(ValueError):
    pass


def parse(value: str) -> tuple[datetime.date, str]:
    """Validate an 18-character ID; return (birth date, gender 'M'/'F'). Raises IdNumberError."""
    from django.utils.translation import gettext as _

    if not value.isascii():
        # str.isdigit() also accepts ², ٣ or ３: only the ASCII digits 0–9 make an ID number.
        raise IdNumberError(
            _("The ID number may only hold the digits 0–9 and a final X (found %(chars)s).")
            % {"chars": "".join(sorted({c for c in value if not c.isascii()}))}
        )
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise IdNumberError(
            _("An ID number has 18 characters: 17 digits and a final digit or X (got %(n)d).")
            % {"n": len(value)}
        )
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError(
            _("Characters 7–14 of the ID number (%(digits)s) are not a valid birth date.")
            % {"digits": value[6:14]}
        ) from None
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise IdNumberError(
            _(
                "The ID number's check digit is wrong: the last character should be %(expected)s, not %(got)s. "
                "Check the number against the ID card."
            )
            % {"expected": expected, "got": value[17]}
        )
    gender = "M" if int(value[16]) % 2 else "F"
    return birth, gender
