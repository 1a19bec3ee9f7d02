"""The fixture world of the authorization matrix (tests/test_authorization_matrix.py).

Four places hold one of everything that hangs off a village: ``t1`` and ``t2`` (two townships of
the county 莱阳市), ``t3`` (a township of the neighbouring county 海阳市) and ``far`` (a township
of another province). Region-level things (rounds, units, policies, holidays, users, events) sit
at the level they belong to. Each object is filed under a *place*; the tables ``SEES`` and ``OWNS``
say, for each place, which personas see its objects and which of them own them (``access.can``
with an object: the object lies in the persona's own region). The tables are written out by hand
from the rules of DESIGN.md, not computed through accounts.access, so the matrix checks the code
against them.
"""

import datetime
import uuid

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import Role, SecurityEvent, User
from appraisal.models import Appraisal, AppraisalRound, Inspection, VillageResult
from assignments import leave as leave_rules
from assignments.models import (
    Assignment,
    AttendanceRecord,
    AttendanceSheet,
    HolidayOverride,
    Policy,
    SpotCheck,
)
from cadres.models import Cadre, Unit
from excel.models import ExportJob
from fieldwork.models import CheckIn, DiaryEntry, MonthlyReport, Trip
from supervision.models import SpotCheckPlan, SpotCheckTask
from villages.models import Region, Village

from .conftest import build_personas, build_tree, create_user, make_id

ANONYMOUS = "anonymous"
# The personas of tests/conftest.py, by the role each stands for.
OFFICE_PERSONAS = ["province", "viewer", "county_admin", "clerk", "other_clerk", "liaison", "other_admin"]
# The cadre of t1's own account (驻村干部本人, issue 16): its own records only, 404 on every office page.
PERSONAS = [*OFFICE_PERSONAS, "cadre"]
ROLES = {
    ANONYMOUS: None,
    "province": Role.PROVINCE,
    "viewer": Role.CITY,
    "county_admin": Role.COUNTY_ADMIN,
    "clerk": Role.TOWNSHIP_CLERK,
    "other_clerk": Role.TOWNSHIP_CLERK,
    "liaison": Role.UNIT_LIAISON,
    "other_admin": Role.COUNTY_ADMIN,
    "cadre": Role.CADRE,
}

_ABOVE = {"province", "viewer"}  # the province and its city see (and own) all of 莱阳 and 海阳

# Who sees the objects of a place. The liaison represents 莱阳市财政局, whose cadre serves in t1.
SEES = {
    # village-level objects: villages, cadres, assignments, leave, spot checks, sheets, records,
    # appraisals, inspections, yearly results
    "t1": _ABOVE | {"county_admin", "clerk", "liaison", "cadre"},  # the cadre: its own records
    "t2": _ABOVE | {"county_admin", "other_clerk"},
    "t3": _ABOVE | {"other_admin"},
    "far": set(),
    # townships as regions (sheet pages, dashboard drill-down, the admin's regions)
    "township_t1": _ABOVE | {"county_admin", "clerk", "liaison"},
    "township_t3": _ABOVE | {"other_admin"},
    "township_far": set(),
    "region_county": _ABOVE | {"county_admin"},  # a region does not show its ancestors
    # county-level objects that a township inherits: rounds, units (a round with the liaison's
    # cadre in it, and the liaison's own unit, are the liaison's too)
    "county": _ABOVE | {"county_admin", "clerk", "other_clerk", "liaison"},
    "other_county": _ABOVE | {"other_admin"},
    "far_county": set(),
    # settings: policies and holidays are inherited downwards, never seen by a unit
    "setting_province": _ABOVE | {"county_admin", "clerk", "other_clerk", "other_admin"},
    "setting_county": _ABOVE | {"county_admin", "clerk", "other_clerk"},
    "setting_other_county": _ABOVE | {"other_admin"},
    "setting_far": set(),
    # users and their security events: by the user's region
    "user_t1": _ABOVE | {"county_admin", "clerk"},
    "user_t3": _ABOVE | {"other_admin"},
    "user_far": set(),
    # a background export is its requester's own
    "job_county_admin": {"county_admin"},
    # a cadre's own account: the county and township where the cadre serves
    "cadre_account_t1": {"county_admin", "clerk"},
    "cadre_account_t3": {"other_admin"},
    "cadre_account_far": set(),
    # export layouts: a province's or city's own, read from above (a region does not show its ancestors)
    "layout_province": {"province"},
    "layout_city": {"province", "viewer"},
    "layout_far": set(),
    # spot-check plans and their tasks (supervision): a township's plan is its own and the county's
    # (and seen above); an unannounced (暗访) county plan is the county's alone
    "plan_t1": _ABOVE | {"county_admin", "clerk"},
    "plan_secret": {"county_admin"},
    "plan_t3": _ABOVE | {"other_admin"},
    "plan_far": set(),
}

# Who owns the objects of a place (may act on them with an action the role has).
OWNS = {
    "t1": _ABOVE | {"county_admin", "clerk", "cadre"},
    "t2": _ABOVE | {"county_admin", "other_clerk"},
    "t3": _ABOVE | {"other_admin"},
    "far": set(),
    "township_t1": _ABOVE | {"county_admin", "clerk"},
    "township_t3": _ABOVE | {"other_admin"},
    "township_far": set(),
    "region_county": _ABOVE | {"county_admin"},
    "county": _ABOVE | {"county_admin"},
    "other_county": _ABOVE | {"other_admin"},
    "far_county": set(),
    "setting_province": {"province"},
    "setting_county": _ABOVE | {"county_admin"},
    "setting_other_county": _ABOVE | {"other_admin"},
    "setting_far": set(),
    "user_t1": _ABOVE | {"county_admin", "clerk"},
    "user_t3": _ABOVE | {"other_admin"},
    "user_far": set(),
    "job_county_admin": {"county_admin"},
    "cadre_account_t1": {"county_admin", "clerk"},
    "cadre_account_t3": {"other_admin"},
    "cadre_account_far": set(),
    "layout_province": {"province"},
    "layout_city": {"viewer"},  # a city's layout is the city's to define, not its province's
    "layout_far": set(),
    "plan_t1": _ABOVE | {"county_admin", "clerk"},
    "plan_secret": {"county_admin"},
    "plan_t3": _ABOVE | {"other_admin"},
    "plan_far": set(),
}

VILLAGE_PLACES = ["t1", "t2", "t3", "far"]
# The places whose objects fill URLs: t1 and t3 give every persona an object inside and one
# outside (far: outside for the province and the city too). t2's objects stay in the world for
# the lists (nothing of t2 may show on a t1 clerk's or the liaison's pages) but fill no URL, to
# keep the run short.
URL_PLACES_SKIPPED = {"t2"}
MONTH = datetime.date(2026, 11, 1)
ROUND_YEAR = 2025


class World:
    """Every object of the matrix, by kind and place: ``world.obj["village"]["t1"]``."""

    def __init__(self):
        self.obj = {}
        self.users = {}

    def put(self, kind, place, obj):
        self.obj.setdefault(kind, {})[place] = obj
        return obj

    def places(self, kind):
        """The (place, object) pairs of a kind that fill URLs."""
        return [(p, o) for p, o in self.obj[kind].items() if p not in URL_PLACES_SKIPPED]

    def all(self, kind):
        return list(self.obj[kind].items())


def _cadre(name, unit, region, birth=datetime.date(1985, 5, 1)):
    return Cadre.objects.create(
        name=name,
        gender="M",
        id_number=make_id(birth),
        birth_date=birth,
        political_status="party_member",
        party_joined_on=datetime.date(2010, 7, 1),
        party_full_member_on=datetime.date(2011, 7, 1),
        work_started_on=datetime.date(2008, 8, 1),
        unit=unit,
        rank="section",
        region=region,
    )


# A cadre who served in three counties: 中原区 (far), then 海阳市 (t3), now 莱阳市 (t1, in the
# village of t1 beside its first secretary), sent by 莱阳市农业农村局 (not the liaison's unit) and
# filed in 莱阳市. Each of those places holds a sheet row, a leave, a spot check and an inspection
# of his; 莱阳's and 海阳's rounds appraise him both. Whoever sees one place must see nothing of
# the others on any page (his own included). Seen by whoever sees t1 or t3.
TRAVELLED = "t1_t3"
SEES[TRAVELLED] = _ABOVE | {"county_admin", "clerk", "other_admin"}
OWNS[TRAVELLED] = _ABOVE | {"county_admin"}  # filed with 莱阳市

# The printed forms of the appraisal file (appraisal/views_forms.py): the registration forms and the
# record of village service are read by whoever sees the person, except a unit liaison and a cadre;
# the result letters of a draft round (the matrix's rounds are drafts) by the organisation
# departments only (a liaison reads its unit's once the round is finalized: test_appraisal_forms).
for _place in list(SEES):
    SEES[f"forms_{_place}"] = SEES[_place] - {"liaison", "cadre"}
    SEES[f"letters_{_place}"] = SEES[_place] & (_ABOVE | {"county_admin", "other_admin"})
TRAVELLED_SPANS = {
    "far": (
        datetime.date(2021, 3, 1),
        datetime.date(2023, 2, 28),
        "first_secretary",
        datetime.date(2022, 6, 1),
        datetime.date(2022, 6, 13),  # a Monday
    ),
    "t3": (
        datetime.date(2023, 3, 1),
        datetime.date(2025, 2, 28),
        "first_secretary",
        datetime.date(2024, 6, 1),
        datetime.date(2024, 6, 17),
    ),
    "t1": (datetime.date(2025, 3, 1), None, "team_member", MONTH, datetime.date(2026, 12, 14)),
}


def _travelled(w, unit, county, personas):
    """The cadre of ``TRAVELLED``; returns his assignments by place."""
    cadre = w.put("cadre", TRAVELLED, _cadre("矩阵干部跨县", unit, county))
    served = {}
    for place, (start, end, role, month, leave_day) in TRAVELLED_SPANS.items():
        village = w.obj["village"][place]
        a = served[place] = Assignment.dispatch(
            cadre=cadre,
            village=village,
            role=role,
            start_date=start,
            user=personas["county_admin"],
            dispatch_level="county",
        )
        if end:
            a.end(end, "term_completed")
        sheet = (
            w.obj["sheet"][place]
            if month == MONTH
            else AttendanceSheet.objects.create(township=village.township, month=month)
        )
        AttendanceRecord.objects.create(sheet=sheet, assignment=a, days="A" * 30, required_days=20)
        day = month.replace(day=8)
        leave_rules.request_leave(
            a, leave_day, leave_day + datetime.timedelta(days=1), f"跨县事假{place}", personas["county_admin"]
        )
        SpotCheck.objects.create(
            assignment=a,
            date=day,
            method="unannounced",
            found_present=True,
            note=f"跨县抽查{place}",
            checked_by=personas["county_admin"],
        )
        Inspection.objects.create(
            assignment=a,
            year=month.year,
            half=2,
            work_style="good",
            people_first="good",
            discipline="good",
            results="good",
            summary=f"跨县考察{place}",
            inspected_by=personas["county_admin"],
        )
    return served


def _tiny_jpeg():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(out, "JPEG")
    return out.getvalue()


def build(export_dir):
    """Create the world: the tree and the personas of tests/conftest.py, then the rest."""
    tree = build_tree()
    personas = build_personas(tree)
    make_user = create_user
    w = World()
    w.users = dict(personas)
    admin = personas["county_admin"]
    far_province = Region.objects.create(code="410000000000", name="河南省", level="province")
    far_city = Region.objects.create(code="410100000000", name="郑州市", level="city", parent=far_province)
    far_county = Region.objects.create(code="410102000000", name="中原区", level="county", parent=far_city)
    far_township = Region.objects.create(
        code="410102001000", name="林山寨街道", level="township", parent=far_county
    )
    second_unit = Unit.objects.create(
        name="莱阳市农业农村局", level="county", kind="party_gov", region=tree["county"]
    )
    far_unit = Unit.objects.create(name="中原区财政局", level="county", kind="party_gov", region=far_county)

    townships = {"t1": tree["t1"], "t2": tree["t2"], "t3": tree["t3"], "far": far_township}
    counties = {"t1": tree["county"], "t2": tree["county"], "t3": tree["other_county"], "far": far_county}
    units = {"t1": tree["unit"], "t2": second_unit, "t3": tree["other_unit"], "far": far_unit}
    for place, region in [("township_t1", tree["t1"]), ("township_t3", tree["t3"])]:
        w.put("region", place, region)
    w.put("region", "township_far", far_township)
    w.put("region", "region_county", tree["county"])
    for place, region in [
        ("layout_province", tree["province"]),
        ("layout_city", tree["city"]),
        ("layout_far", far_city),
    ]:
        w.put("layout_region", place, region)
    w.put("unit", "county", tree["unit"])
    w.put("unit", "other_county", tree["other_unit"])
    w.put("unit", "far_county", far_unit)

    recorders = {
        "t1": personas["clerk"],
        "t2": personas["other_clerk"],
        "t3": personas["other_admin"],
        "far": admin,
    }
    for n, place in enumerate(VILLAGE_PLACES):
        township = townships[place]
        village = w.put(
            "village",
            place,
            Village.objects.create(
                code=township.code[:9] + f"{301 + n:03d}",
                name=f"矩阵村{place}",
                township=township,
                categories=["revitalization"],
            ),
        )
        cadre = w.put(
            "cadre",
            place,
            _cadre(f"矩阵干部{place}", units[place], counties[place]),
        )
        assignment = w.put(
            "assignment",
            place,
            Assignment.dispatch(
                cadre=cadre,
                village=village,
                role="first_secretary",
                start_date=datetime.date(2025, 3, 1),
                user=admin,
                dispatch_level="county",
            ),
        )
        w.put(
            "leave",
            place,
            leave_rules.request_leave(
                assignment, datetime.date(2026, 12, 1), datetime.date(2026, 12, 2), "家事", admin
            ),
        )
        w.put(
            "leave_long",
            place,
            leave_rules.request_leave(
                assignment, datetime.date(2026, 12, 7), datetime.date(2026, 12, 11), "培训", admin
            ),
        )
        w.put(
            "trip",
            place,
            Trip.report(
                assignment,
                datetime.date(2026, 12, 14),
                datetime.date(2026, 12, 15),
                "meeting",
                "县委组织部",
                "培训会",
                admin,
            ),
        )
        w.put(
            "spotcheck",
            place,
            SpotCheck.objects.create(
                assignment=assignment,
                date=datetime.date(2026, 11, 3),
                method="unannounced",
                found_present=True,
                # Recorded by the clerk of the place (the county where none): who may correct it.
                checked_by=recorders[place],
            ),
        )
        # A check-in with its position kept (the position is shown only on a logged request).
        w.put(
            "checkin",
            place,
            CheckIn.objects.create(
                assignment=assignment,
                created_by=admin,
                latitude="36.950000",
                longitude="120.700000",
                accuracy_m=20,
                distance_m=0,
            ),
        )
        sheet = w.put("sheet", place, AttendanceSheet.objects.create(township=township, month=MONTH))
        AttendanceRecord.objects.create(sheet=sheet, assignment=assignment, days="A" * 30, required_days=20)
        w.put(
            "inspection",
            place,
            Inspection.objects.create(
                assignment=assignment,
                year=2026,
                half=1,
                work_style="good",
                people_first="good",
                discipline="good",
                results="good",
                inspected_by=admin,
            ),
        )
        w.put(
            "result",
            place,
            VillageResult.objects.create(
                village=village, year=ROUND_YEAR, collective_income=10, entered_by=admin
            ),
        )

    w.travelled = _travelled(w, second_unit, tree["county"], personas)

    # The cadre's own records (issue 16): a diary entry with a photo and a submitted monthly report
    # in each place. The photo's file lives in export_dir (the matrix's PRIVATE_MEDIA_ROOT too).
    photo_dir = export_dir / "diary"
    photo_dir.mkdir(parents=True, exist_ok=True)
    for place in VILLAGE_PLACES:
        assignment = w.obj["assignment"][place]
        (photo_dir / f"matrix-{place}.jpg").write_bytes(_tiny_jpeg())
        w.put(
            "diary",
            place,
            DiaryEntry.objects.create(
                assignment=assignment,
                created_by=admin,
                date=MONTH,
                kind="visit",
                households=2,
                text=f"矩阵日记{place}",
                photo=f"diary/matrix-{place}.jpg",
            ),
        )
        report = MonthlyReport.objects.create(
            assignment=assignment, month=MONTH, text=f"矩阵月汇报{place}", created_by=admin
        )
        report.submit(admin)
        w.put("report", place, report)

    for place, county in [("county", tree["county"]), ("other_county", tree["other_county"])]:
        w.put("round", place, AppraisalRound.start(county, ROUND_YEAR, "annual", admin))
    w.put("round", "far_county", AppraisalRound.start(far_county, ROUND_YEAR, "annual", admin))
    for place in VILLAGE_PLACES:
        w.put(
            "appraisal",
            place,
            Appraisal.objects.get(cadre=w.obj["assignment"][place].cadre, round__year=ROUND_YEAR),
        )

    for place, region in [
        ("setting_province", tree["province"]),
        ("setting_county", tree["county"]),
        ("setting_other_county", tree["other_county"]),
        ("setting_far", far_province),
    ]:
        w.put("policy", place, Policy.objects.create(region=region))
        w.put(
            "holiday",
            place,
            HolidayOverride.objects.create(
                region=region, date=datetime.date(2026, 12, 24), kind="holiday", name="矩阵节"
            ),
        )

    for place, region, by, village_place, secret in [
        ("plan_t1", tree["t1"], personas["clerk"], "t1", False),
        ("plan_secret", tree["county"], admin, "t1", True),
        ("plan_t3", tree["t3"], personas["other_admin"], "t3", False),
        ("plan_far", far_township, admin, "far", False),
    ]:
        plan = w.put(
            "plan",
            place,
            SpotCheckPlan.objects.create(
                region=region,
                month=MONTH,
                evidence_month=datetime.date(2026, 10, 1),
                size=1,
                methods=["unannounced" if secret else "phone"],
                unannounced=secret,
                threshold=4,
                sample_percent=10,
                seed=1,
                inputs={"weights": {}, "scores": {}},
                created_by=by,
            ),
        )
        w.put(
            "task",
            place,
            SpotCheckTask.objects.create(
                plan=plan,
                assignment=w.obj["assignment"][village_place],
                part="random",
                score=0,
                method=plan.methods[0],
                date=datetime.date(2026, 11, 3),
            ),
        )

    # Users as objects of the admin: a township clerk of each place (managed by a county admin).
    w.put("user", "user_t1", make_user("matrix-clerk1", Role.TOWNSHIP_CLERK, tree["t1"]))
    w.put("user", "user_t3", make_user("matrix-clerk3", Role.TOWNSHIP_CLERK, tree["t3"]))
    w.put("user", "user_far", make_user("matrix-clerkfar", Role.TOWNSHIP_CLERK, far_township))
    w.users["cadre"] = make_user("13900000001", Role.CADRE, cadre=w.obj["cadre"]["t1"])
    # Cadres' own accounts (role cadre), by where the cadre serves: team members of each place's
    # village, so that resetting them leaves the cadre persona (t1's first secretary) logged in.
    for n, place in enumerate(["t1", "t3", "far"]):
        member = _cadre(
            f"矩阵队员{place}", units[place], counties[place], birth=datetime.date(1986, 6, 6 + n)
        )
        Assignment.dispatch(
            cadre=member,
            village=w.obj["village"][place],
            role="team_member",
            start_date=datetime.date(2025, 3, 1),
            user=admin,
            dispatch_level="county",
        )
        w.put(
            "cadre_account", f"cadre_account_{place}", make_user(f"1380000000{n}", Role.CADRE, cadre=member)
        )
    for place, user in w.places("user"):
        w.put(
            "event",
            place,
            SecurityEvent.objects.create(kind="login", user=user, username=user.username, ip="127.0.0.1"),
        )

    # Third-party admin pages (no jurisdiction; Django's model permissions, which no persona has).
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    w.put("group", None, Group.objects.create(name="矩阵组"))
    w.put(
        "accessattempt",
        None,
        AccessAttempt.objects.create(
            username="x", ip_address="10.0.0.1", user_agent="ua", path_info="/", failures_since_start=1
        ),
    )
    w.put("accesslog", None, AccessLog.objects.create(username="x", ip_address="10.0.0.1", user_agent="ua"))
    w.put(
        "accessfailurelog",
        None,
        AccessFailureLog.objects.create(
            username="x", ip_address="10.0.0.1", user_agent="ua", locked_out=False
        ),
    )
    w.put(
        "dbtaskresult",
        None,
        DBTaskResult.objects.create(
            id=uuid.uuid4(),
            args_kwargs={"args": [], "kwargs": {}},
            task_path="excel.tasks.run_export",
            backend_name="default",
            run_after=now,
            exception_class_path="",
            traceback="",
        ),
    )

    # A finished background export of the county admin: a job is its requester's own.
    job = ExportJob.objects.create(
        user=admin, kind="roster", state=ExportJob.State.DONE, filename="roster.xlsx", finished_at=now
    )
    export_dir.mkdir(parents=True, exist_ok=True)
    (export_dir / f"{job.pk}.xlsx").write_bytes(b"PK\x03\x04 matrix")
    w.put("job", "job_county_admin", job)
    w.content_types = {
        kind: ContentType.objects.get_for_model(model).pk
        for kind, model in [("village", Village), ("cadre", Cadre), ("assignment", Assignment)]
    }
    w.user_model = User
    return w
