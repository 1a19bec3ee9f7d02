"""GB 11643-1999 citizen identification numbers (公民身份号码)."""

import datetime

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
# The first two digits: the province-level division where the number was issued (GB/T 2260),
# plus 71 (Taiwan), 81 (Hong Kong) and 82 (Macao) of the residence permits.
PROVINCE_CODES = frozenset(
    f"{n:02d}"
    for lo, hi in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 82))
    for n in range(lo, hi + 1)
)


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


def parse(value: str, today: datetime.date | None = None) -> tuple[datetime.date, str]:
    """Validate an 18-character ID; return (birth date, gender 'M'/'F'). Raises IdNumberError.

    Plausible as well as well-formed: the first two digits are a province code and the birth date
    lies between 1900-01-01 and ``today``."""
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
    if value[:2] not in PROVINCE_CODES:
        raise IdNumberError(
            _(
                "The first two digits %(digits)s of the ID number are not a province code "
                "(11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81, 82). Check the number against the ID card."
            )
            % {"digits": value[:2]}
        )
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError(
            _("Characters 7–14 of the ID number (%(digits)s) are not a valid birth date.")
            % {"digits": value[6:14]}
        ) from None
    today = today or datetime.date.today()
    if not EARLIEST_BIRTH <= birth <= today:
        raise IdNumberError(
            _(
                "The birth date in the ID number (%(date)s) must lie between 1900-01-01 and today. "
                "Check the number against the ID card."
            )
            % {"date": birth.isoformat()}
        )
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
