"""The 考勤表 export's 备注 says what the cadre recorded that month — diary entries, the monthly
report — so the township's printed sheet carries them without anyone typing them (record once)."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from accounts import access
from assignments import attendance
from assignments.models import AttendanceRecord, AttendanceSheet
from excel import exports
from fieldwork.models import DiaryEntry, MonthlyReport

MONTH = datetime.date(2026, 10, 1)


@pytest.mark.django_db
def test_the_attendance_export_notes_the_cadres_diary_entries_and_monthly_report(
    personas, make_cadre, make_village, dispatch, tree
):
    a = dispatch(make_cadre(name="王芳"), make_village(name="东村"), start=datetime.date(2025, 3, 1))
    b = dispatch(
        make_cadre(name="李强", birth=datetime.date(1986, 2, 2)),
        make_village(name="西村"),
        start=datetime.date(2025, 3, 1),
    )
    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=MONTH)
    cal = attendance.calendar_for(tree["t1"], MONTH)
    for x in (a, b):
        AttendanceRecord.objects.create(
            sheet=sheet, assignment=x, days=attendance.default_days(x, cal, set()), required_days=20
        )
    clerk = personas["clerk"]
    for day in (3, 9, 17):
        DiaryEntry.objects.create(
            assignment=a, created_by=clerk, date=MONTH.replace(day=day), kind="visit", text="走访"
        )
    DiaryEntry.objects.create(
        assignment=a, created_by=clerk, date=datetime.date(2026, 11, 2), kind="visit", text="下月"
    )
    MonthlyReport.objects.create(assignment=a, month=MONTH, text="十月", created_by=clerk).submit(clerk)

    out = io.BytesIO()
    user = personas["county_admin"]
    exports.build("attendance", lambda qs: access.scope(user, qs), out, region_label="莱阳市", month=MONTH)
    ws = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    notes = {}
    for row in ws.iter_rows(values_only=True):
        if row[2] in ("王芳", "李强"):
            notes[row[2]] = row[-1]
    assert notes["王芳"] == "民情日记3篇；月汇报已交"
    assert not notes["李强"]
