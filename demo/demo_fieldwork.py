"""The cadres' own records in the demo county (issue 16): trips, diary entries, monthly reports and,
in one township where the county has turned it on, check-ins.

Derived from the attendance already written, so the demo tells one story: a run of 差 days in a sheet
is a trip the cadre reported and the township confirmed; diary entries fall on days in the village;
a check-in is made only on some days in the village, near the village (a few far, flagged). Runs once:
a county that already has trips is left alone.
"""

import datetime
import math
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from assignments.models import AttendanceRecord, Policy
from assignments.models.attendance import BUSINESS, PRESENT
from fieldwork import checkins
from fieldwork.models import CheckIn, DiaryEntry, MonthlyReport, Trip
from villages.models import Region, Village

# 沐浴店镇 of the demo county has check-in turned on (Demo._write_checkins: its three cadre logins);
# here every other cadre of it gets its check-ins too, and a village without a point gets one near 莱阳.
CHECKIN_TOWNSHIP = "370682100000"
CENTRE = (36.9770, 120.7110)
RETENTION_DAYS = 30

DIARY_TEXT = {
    DiaryEntry.Kind.VISIT: [
        "走访脱贫户，了解春耕备耕情况",
        "入户走访独居老人，登记用药需求",
        "走访低保户，核实家庭收入变化",
    ],
    DiaryEntry.Kind.MEETING: ["参加村两委会议，研究集体经济项目", "召开村两委会，部署人居环境整治"],
    DiaryEntry.Kind.PROJECT: ["跟进大棚项目施工进度", "对接镇农业站，落实产业项目资金"],
    DiaryEntry.Kind.SERVICE: ["协调修复村内道路路灯", "帮助村民办理医保缴费"],
    DiaryEntry.Kind.MEDIATION: ["调解邻里宅基地纠纷", "调解土地流转合同争议"],
    DiaryEntry.Kind.OTHER: ["整理村务档案", "参加镇党委中心组学习"],
}
KIND_WEIGHTS = [
    (DiaryEntry.Kind.VISIT, 45),
    (DiaryEntry.Kind.MEETING, 15),
    (DiaryEntry.Kind.PROJECT, 15),
    (DiaryEntry.Kind.SERVICE, 12),
    (DiaryEntry.Kind.MEDIATION, 5),
    (DiaryEntry.Kind.OTHER, 8),
]
TRIP_PLACES = ["莱阳市委组织部", "烟台市农业农村局", "莱阳市乡村振兴局", "沐浴店镇政府", "莱阳市财政局"]


def _runs(days, code):
    """(first index, last index) of each run of ``code`` in a day-code string."""
    runs, start = [], None
    for i, c in enumerate(days + " "):
        if c == code and start is None:
            start = i
        elif c != code and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def _offset(lat, lng, metres, bearing):
    """A point ``metres`` away from (lat, lng) in the direction ``bearing`` (radians)."""
    dlat = metres * math.cos(bearing) / 111_320
    dlng = metres * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
    return lat + dlat, lng + dlng


def _weighted(rng, pairs):
    total = sum(w for _k, w in pairs)
    x = rng.uniform(0, total)
    for k, w in pairs:
        x -= w
        if x <= 0:
            return k
    return pairs[-1][0]


def _aware(day, hour, minute):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def seed(demo, county_code):
    """Write the county's cadre records; returns {kind: count} (nothing when already seeded)."""
    prefix = county_code[:6]
    if Trip.objects.filter(assignment__village__code__startswith=prefix).exists():
        return {}
    county = Region.objects.filter(code=county_code).first()
    if county is None:
        return {}
    today = demo.today
    records = list(
        AttendanceRecord.objects.filter(sheet__township__code__startswith=prefix, sheet__month__lte=today)
        .select_related("sheet", "assignment__village", "assignment__cadre")
        .order_by("sheet__month", "assignment__village__code", "pk")
    )
    author = {}  # the cadre's own account where it has one, else the township's clerk
    for user in User.objects.filter(role=Role.CADRE, cadre__isnull=False):
        author[user.cadre_id] = user
    clerks = {
        u.region_id: u for u in User.objects.filter(role=Role.TOWNSHIP_CLERK, region__code__startswith=prefix)
    }
    admin = User.objects.filter(role=Role.COUNTY_ADMIN, region=county).first()

    with transaction.atomic():
        township = Region.objects.filter(code=CHECKIN_TOWNSHIP).first()
        points = {}
        if township is not None:
            policy, _created = Policy.objects.get_or_create(region=township)
            policy.checkin_enabled = True
            policy.updated_by = admin
            policy.save(update_fields=["checkin_enabled", "updated_by", "updated_at"])
            rng = demo._rng("village-points")
            for village in Village.objects.filter(township=township).order_by("code"):
                lat, lng = _offset(*CENTRE, rng.uniform(2_000, 12_000), rng.uniform(0, 2 * math.pi))
                if village.latitude is not None:
                    points[village.pk] = (float(village.latitude), float(village.longitude))
                    continue
                village.latitude, village.longitude = Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")
                village.point_source = "县委组织部录入（WGS-84）"
                village.save(update_fields=["latitude", "longitude", "point_source"])
                points[village.pk] = (lat, lng)

        checked = set(
            CheckIn.objects.filter(assignment__village__code__startswith=prefix).values_list(
                "assignment_id", flat=True
            )
        )
        trips, entries, positions = [], [], []
        for record in records:
            a = record.assignment
            month = record.sheet.month
            rng = demo._rng("fieldwork", a.pk, month)
            who = author.get(a.cadre_id) or clerks.get(record.sheet.township_id) or admin
            clerk = clerks.get(record.sheet.township_id) or admin
            days = record.days
            # A run of 差 days: a trip reported the working day before (now and then late) and confirmed.
            for first_i, last_i in _runs(days, BUSINESS):
                first = month + datetime.timedelta(days=first_i)
                last = month + datetime.timedelta(days=last_i)
                late = rng.random() < 0.12
                reported = first if late else first - datetime.timedelta(days=rng.randint(1, 3))
                trips.append(
                    Trip(
                        assignment=a,
                        start_date=first,
                        end_date=last,
                        kind=_weighted(rng, [("meeting", 5), ("project", 3), ("training", 2)]),
                        destination=rng.choice(TRIP_PLACES),
                        reason="参加全市驻村工作推进会" if rng.random() < 0.5 else "对接帮扶项目资金",
                        state=Trip.State.CONFIRMED,
                        late=late,
                        created_by=who,
                        created_at=_aware(reported, 17, rng.randint(0, 59)),
                        decided_by=clerk,
                        decided_at=_aware(reported, 18, rng.randint(0, 59)),
                    )
                )
            # Diary entries on some days in the village; check-ins on some, where turned on.
            point = points.get(a.village_id) if a.pk not in checked else None
            for i, code in enumerate(days):
                day = month + datetime.timedelta(days=i)
                if code != PRESENT or day > today:
                    continue
                if rng.random() < 0.35:
                    kind = _weighted(rng, KIND_WEIGHTS)
                    entries.append(
                        DiaryEntry(
                            assignment=a,
                            date=day,
                            kind=kind,
                            households=rng.randint(1, 6) if kind == DiaryEntry.Kind.VISIT else 0,
                            text=rng.choice(DIARY_TEXT[kind]),
                            created_by=who,
                            created_at=_aware(day, 20, rng.randint(0, 59)),
                        )
                    )
                if point is not None and rng.random() < 0.6:
                    far = rng.random() < 0.04
                    spot = _offset(
                        *point,
                        rng.uniform(8_000, 20_000) if far else rng.uniform(20, 600),
                        rng.uniform(0, 6.3),
                    )
                    accuracy = rng.choice([15, 20, 30, 45, 65]) if rng.random() > 0.05 else 350
                    at = _aware(day, rng.randint(7, 10), rng.randint(0, 59))
                    old = (today - day).days > RETENTION_DAYS
                    flag = (
                        "far"
                        if checkins.distance_m(*point, *spot) > 1000
                        else ("inaccurate" if accuracy > 200 else "")
                    )
                    positions.append(
                        CheckIn(
                            assignment=a,
                            created_by=who,
                            created_at=at,
                            latitude=None if old else Decimal(f"{spot[0]:.6f}"),
                            longitude=None if old else Decimal(f"{spot[1]:.6f}"),
                            accuracy_m=accuracy,
                            distance_m=round(checkins.distance_m(*point, *spot)),
                            flag=flag,
                            purged_at=_aware(day + datetime.timedelta(days=RETENTION_DAYS + 1), 3, 0)
                            if old
                            else None,
                        )
                    )
        Trip.objects.bulk_create(trips, batch_size=2000)
        DiaryEntry.objects.bulk_create(entries, batch_size=2000)
        CheckIn.objects.bulk_create(positions, batch_size=2000)
        reports = _monthly_reports(demo, records, entries, author, clerks, admin)
    return {
        "trips": len(trips),
        "diary_entries": len(entries),
        "checkins": len(positions),
        "monthly_reports": reports,
    }


def _monthly_reports(demo, records, entries, author, clerks, admin):
    """A report for every finished month, prefilled from the entries; a few of last month's missing
    (a to-do for their township)."""
    this_month = demo.today.replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    counts = {}
    for e in entries:
        key = (e.assignment_id, e.date.replace(day=1))
        c = counts.setdefault(key, {"kinds": {}, "households": 0})
        c["kinds"][e.kind] = c["kinds"].get(e.kind, 0) + 1
        c["households"] += e.households
    reports, seen = [], set()
    for record in records:
        month = record.sheet.month
        key = (record.assignment_id, month)
        if month >= this_month or key in seen:
            continue
        seen.add(key)
        rng = demo._rng("report", *key)
        if month == last_month and rng.random() < 0.15:
            continue  # not yet sent: the township's to-do
        c = counts.get(key, {"kinds": {}, "households": 0})
        a = record.assignment
        submitted = timezone.make_aware(
            datetime.datetime.combine(month + datetime.timedelta(days=32), datetime.time(9, 0))
        ).replace(day=rng.randint(1, 4))
        reports.append(
            MonthlyReport(
                assignment=a,
                month=month,
                counts=c["kinds"],
                households=c["households"],
                text="本月按计划开展走访和项目推进工作，下月继续抓好产业发展和人居环境整治。",
                state=MonthlyReport.State.SUBMITTED,
                submitted_at=submitted,
                created_by=author.get(a.cadre_id) or clerks.get(record.sheet.township_id) or admin,
                created_at=submitted,
            )
        )
    MonthlyReport.objects.bulk_create(reports, batch_size=2000)
    return len(reports)
