"""签到, only where a county turns it on (Policy.checkin_enabled; 国办函〔2026〕12号: never compulsory).

One tap sends the browser's position once; nothing tracks the cadre. The server keeps the time, the
distance to the village point and the reported accuracy, and FLAGS — never refuses — a check-in that
is farther than the radius, less accurate than the setting, or made where the village has no point.
A missing check-in is never an absence: nothing here writes into attendance sheets. The raw
coordinates are personal information (个人信息保护法 Art. 28): they are deleted after the retention
period (``purge_expired``), and showing them is logged (accounts.events). docs/fieldwork-checkin.md.
"""

import datetime
import math
import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import coordTransform
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assignments.models import Assignment, Policy
from villages.models import Village

from .models import CheckIn

# At most one check-in per cadre in this many minutes: a second tap (or a double submit) is refused
# with the time of the next possible one, so the list shows visits, not taps.
MINUTES_BETWEEN = 10
# The mean Earth radius (IUGG), enough for distances of a few kilometres to a metre.
EARTH_RADIUS_M = 6_371_008.8
# A proposed village point needs this many usable check-ins, so one stray position cannot set it.
MIN_FOR_PROPOSAL = 3
SIX_PLACES = Decimal("0.000001")

WGS84 = "wgs84"
GCJ02 = "gcj02"
SYSTEMS = [
    (WGS84, gettext_lazy("WGS-84 (GPS, phone browsers, 天地图)")),
    (GCJ02, gettext_lazy("GCJ-02 (Chinese maps: 高德, 腾讯)")),
]
# Village.point_source: how the point was set.
SOURCES = {
    WGS84: gettext_lazy("typed in WGS-84"),
    GCJ02: gettext_lazy("typed in GCJ-02, converted to WGS-84"),
    "median": gettext_lazy("proposed from check-ins, accepted by the county"),
}


class Refused(Exception):
    """A check-in not taken: check-in is off here, or the cadre checked in a moment ago."""


def distance_m(lat1, lng1, lat2, lng2):
    """Great-circle (haversine) distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lng2) - float(lng1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def gcj02_to_wgs84(lat, lng):
    """A GCJ-02 point (高德/腾讯 maps) in WGS-84, by the coordtransform library (requirements.txt).
    Its one-step inverse is within about 2 m inside China — far below any check-in radius."""
    wgs_lng, wgs_lat = coordTransform.gcj02_to_wgs84(float(lng), float(lat))
    return _six(wgs_lat), _six(wgs_lng)


def _six(value):
    return Decimal(str(value)).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def _number(data, name, label, low, high, errors):
    raw = (data.get(name) or "").strip()
    if not raw:
        errors.append(
            _("%(field)s is missing: tap the button again to send the position.") % {"field": label}
        )
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        errors.append(_("%(field)s “%(value)s” is not a number.") % {"field": label, "value": raw[:20]})
        return None
    if not value.is_finite() or not low <= value <= high:
        errors.append(
            _("%(field)s %(value)s is out of range (%(low)s to %(high)s).")
            % {"field": label, "value": raw[:20], "low": low, "high": high}
        )
        return None
    return value


def parse_position(data):
    """(latitude, longitude, accuracy in metres) from the posted form, or a ValidationError naming
    each wrong field."""
    errors = []
    lat = _number(data, "latitude", _("Latitude"), -90, 90, errors)
    lng = _number(data, "longitude", _("Longitude"), -180, 180, errors)
    acc = _number(data, "accuracy", _("Accuracy"), 0, 1_000_000, errors)
    if errors:
        raise ValidationError(errors)
    return _six(lat), _six(lng), int(acc.to_integral_value(rounding=ROUND_HALF_UP))


def parse_point(data):
    """A village point as typed by the county: (WGS-84 latitude, longitude, source), converting a
    GCJ-02 point; or a ValidationError."""
    errors = []
    system = data.get("system")
    if system not in dict(SYSTEMS):
        errors.append(_("Choose the coordinate system the point was read in (WGS-84 or GCJ-02)."))
    # China lies within 3°–54° N and 73°–136° E: anything else is a typo (or latitude and
    # longitude swapped), so it is refused with the range.
    lat = _number(data, "latitude", _("Latitude"), 3, 54, errors)
    lng = _number(data, "longitude", _("Longitude"), 73, 136, errors)
    if errors:
        raise ValidationError(errors)
    if system == GCJ02:
        lat, lng = gcj02_to_wgs84(lat, lng)
    return _six(lat), _six(lng), system


def current_assignment(cadre_id, today=None):
    """The cadre's serving assignment today (with its village and township), or None."""
    today = today or timezone.localdate()
    return (
        Assignment.objects.for_cadre(cadre_id)
        .filter(start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("village__township")
        .order_by("-start_date")
        .first()
    )


def policy_for(assignment):
    return Policy.effective_for(assignment.village.township)


def enabled_for_cadre(cadre_id):
    assignment = current_assignment(cadre_id)
    return bool(assignment and policy_for(assignment).checkin_enabled)


def flag_for(distance, accuracy, policy):
    """Why a check-in is flagged ('' when it is not). A poor accuracy outranks the distance: with a
    position that vague the distance says little."""
    if distance is None:
        return CheckIn.Flag.NO_POINT
    if accuracy > policy.checkin_accuracy_m:
        return CheckIn.Flag.INACCURATE
    if distance > policy.checkin_radius_m:
        return CheckIn.Flag.FAR
    return CheckIn.Flag.NONE


def next_allowed(cadre_id, now=None):
    """When the cadre may check in next (None: now)."""
    now = now or timezone.now()
    last = CheckIn.objects.for_cadre(cadre_id).order_by("-created_at").values_list("created_at", flat=True)
    last = last.first()
    if last is None:
        return None
    at = last + datetime.timedelta(minutes=MINUTES_BETWEEN)
    return at if at > now else None


def check_in(user, position, now=None):
    """Record one check-in of ``user`` (a cadre) at ``position`` = (lat, lng, accuracy). Flags,
    never refuses on distance or accuracy; refuses (Refused) only where check-in is off or the
    cadre checked in less than MINUTES_BETWEEN minutes ago."""
    now = now or timezone.now()
    lat, lng, accuracy = position
    with transaction.atomic():
        assignment = current_assignment(user.cadre_id, timezone.localdate(now))
        if assignment is None:
            raise Refused(_("You have no assignment today, so there is nothing to check in to."))
        policy = policy_for(assignment)
        if not policy.checkin_enabled:
            raise Refused(_("Check-in is off in your township. Nothing is needed from you."))
        # One at a time per cadre: the row lock makes a double tap wait, then see the first.
        Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
        nxt = next_allowed(user.cadre_id, now)
        if nxt:
            raise Refused(
                _(
                    "You checked in a moment ago. One check-in per %(minutes)s minutes: the next from %(time)s."
                )
                % {"minutes": MINUTES_BETWEEN, "time": timezone.localtime(nxt).strftime("%H:%M")}
            )
        village = assignment.village
        distance = None
        if village.latitude is not None:
            distance = round(distance_m(lat, lng, village.latitude, village.longitude))
        return CheckIn.objects.create(
            assignment=assignment,
            created_by=user,
            created_at=now,
            latitude=lat,
            longitude=lng,
            accuracy_m=accuracy,
            distance_m=distance,
            flag=flag_for(distance, accuracy, policy),
        )


@dataclass
class Proposal:
    latitude: Decimal
    longitude: Decimal
    count: int
    spread_m: int  # the median distance of the check-ins used from the proposed point


def proposed_point(village):
    """A village point proposed from the median of the village's usable check-ins — with coordinates
    still kept, accurate enough, and not flagged far (those where the village had no point yet
    count) — or None when there are fewer than MIN_FOR_PROPOSAL. The median, per coordinate,
    ignores a few stray positions; the county accepts the proposal or types a point."""
    policy = Policy.effective_for(village.township)
    rows = list(
        CheckIn.objects.filter(assignment__village=village, latitude__isnull=False)
        .filter(accuracy_m__lte=policy.checkin_accuracy_m)
        .exclude(flag__in=[CheckIn.Flag.FAR, CheckIn.Flag.INACCURATE])
        .values_list("latitude", "longitude")
    )
    if len(rows) < MIN_FOR_PROPOSAL:
        return None
    lat = _six(statistics.median(r[0] for r in rows))
    lng = _six(statistics.median(r[1] for r in rows))
    spread = statistics.median(distance_m(lat, lng, a, b) for a, b in rows)
    return Proposal(lat, lng, len(rows), round(spread))


def set_point(village, lat, lng, source):
    Village.objects.filter(pk=village.pk).update(latitude=lat, longitude=lng, point_source=source)
    village.latitude, village.longitude, village.point_source = lat, lng, source
    # A point set now does not re-flag earlier check-ins: each kept the flag it had when made.


def purge_expired(now=None):
    """Delete (null) the raw coordinates of check-ins older than the effective retention of their
    township, keeping the distance and the flag; returns how many were purged. Run by the
    ``purge_checkins`` command and the export worker's hourly clean-up."""
    now = now or timezone.now()
    kept = CheckIn.objects.filter(latitude__isnull=False)
    townships = {
        v.township_id: v.township
        for v in Village.objects.filter(
            pk__in=kept.values("assignment__village_id").distinct()
        ).select_related("township")
    }
    policies = Policy.effective_for_many(townships.values())
    purged = 0
    for township_id, township in townships.items():  # township_id: the FK's code
        policy = policies[township.pk]
        cutoff = now - datetime.timedelta(days=policy.checkin_retention_days)
        purged += kept.filter(assignment__village__township_id=township_id, created_at__lt=cutoff).update(
            latitude=None, longitude=None, purged_at=now
        )
    return purged
