"""Spot checks (issue 13, item 5): the finding is chosen, never assumed; a check is corrected (更正) or
withdrawn (撤销) with a reason by whoever recorded it or by the county; a withdrawn check counts
nowhere; a discrepancy shows on the grid cell and in the to-dos."""

import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from appraisal import rules as appraisal_rules
from appraisal.models import AppraisalRound, Grade
from assignments import leave as leave_rules
from assignments.models import AttendanceRecord, AttendanceSheet, SpotCheck
from dashboard import todos

MARCH = datetime.date(2026, 3, 1)
TUESDAY = datetime.date(2026, 3, 3)
WEDNESDAY = datetime.date(2026, 3, 4)


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    return dispatch(make_cadre(name="抽查对象"), make_village(name="西村"))


def check(assignment, day, user, present=False, at=None):
    return SpotCheck.objects.create(
        assignment=assignment,
        date=day,
        method="unannounced",
        found_present=present,
        checked_by=user,
        created_at=at or timezone.now(),
    )


def march_row(assignment, codes=None):
    sheet, _ = AttendanceSheet.objects.get_or_create(township=assignment.village.township, month=MARCH)
    days = ["P"] * 31
    for day, code in (codes or {}).items():
        days[day - 1] = code
    AttendanceRecord.objects.update_or_create(
        sheet=sheet, assignment=assignment, defaults={"days": "".join(days), "required_days": 10}
    )
    return sheet


def discrepancy_count():
    return leave_rules.discrepancies(SpotCheck.objects.all()).count()


# --- the form -----------------------------------------------------------------------------------
def test_the_spot_check_form_has_no_default_for_found_in_the_village(client_for, personas, serving):
    clerk = client_for(personas["clerk"])
    page = clerk.get(reverse("spotchecks:new")).content.decode()
    assert 'type="radio" name="found_present"' in page
    assert 'name="found_present" value="True"' in page and 'name="found_present" value="False"' in page
    assert "checked" not in page.split('name="found_present"', 1)[1].split("</div>\n</div>", 1)[0]

    data = {"assignment": serving.pk, "date": "2026-03-03", "method": "phone", "note": ""}
    refused = clerk.post(reverse("spotchecks:new"), data)
    assert refused.status_code == 200 and not SpotCheck.objects.exists()
    assert refused.context["form"].errors["found_present"] == ["抽查时在村：请选择“在岗”或“不在岗”。"]
    assert clerk.post(reverse("spotchecks:new"), {**data, "found_present": "False"}).status_code == 302
    assert SpotCheck.objects.get().found_present is False
    clerk.post(reverse("spotchecks:new"), {**data, "date": "2026-03-04", "found_present": "True"})
    assert SpotCheck.objects.get(date=WEDNESDAY).found_present is True


# --- correct and withdraw: who, why, history ------------------------------------------------------
def test_the_recorder_corrects_a_check_with_a_reason_and_the_history_shows_it(client_for, personas, serving):
    found = check(serving, TUESDAY, personas["clerk"], present=True)
    clerk = client_for(personas["clerk"])
    answer = clerk.post(
        reverse("spotchecks:correct", args=[found.pk]),
        {
            "correct-date": "2026-03-04",
            "correct-method": "visit",
            "correct-found_present": "False",
            "correct-note": "村委会无人",
            "correct-reason": "录入时选错了结果",
        },
    )
    assert answer.status_code == 302 and answer.url == found.get_absolute_url()
    found.refresh_from_db()
    assert (found.date, found.method, found.found_present, found.note) == (
        WEDNESDAY,
        "visit",
        False,
        "村委会无人",
    )
    assert found.corrected_by == personas["clerk"] and found.corrected_at is not None
    assert found.correction_reason == "录入时选错了结果"
    page = clerk.get(found.get_absolute_url())
    assert [h["action"] for h in page.context["change_history"]] == ["update", "insert"]
    assert "录入时选错了结果" in page.content.decode()


def test_the_county_corrects_and_withdraws_a_check_a_clerk_recorded(personas, serving):
    found = check(serving, TUESDAY, personas["clerk"])
    found.correct(personas["county_admin"], "备注补充", note="电话未接")
    assert found.note == "电话未接" and found.corrected_by == personas["county_admin"]
    found.withdraw(personas["county_admin"], "查错了人")
    assert found.withdrawn and found.withdrawn_by == personas["county_admin"]
    assert found.withdrawal_reason == "查错了人"


def test_the_recorder_withdraws_a_check_through_the_page(client_for, personas, serving):
    found = check(serving, TUESDAY, personas["clerk"])
    clerk = client_for(personas["clerk"])
    assert (
        clerk.post(
            reverse("spotchecks:withdraw", args=[found.pk]), {"withdraw-reason": "重复录入"}
        ).status_code
        == 302
    )
    found.refresh_from_db()
    assert found.withdrawn and found.withdrawal_reason == "重复录入"
    page = clerk.get(found.get_absolute_url())
    assert page.context["correction"] is None and page.context["withdrawal"] is None


def test_others_cannot_correct_or_withdraw_a_check(client_for, personas, serving, make_user, tree):
    found = check(serving, TUESDAY, personas["clerk"])
    colleague = make_user("clerk1b", Role.TOWNSHIP_CLERK, tree["t1"])  # same township, did not record it
    for user in (colleague, personas["viewer"], personas["province"], personas["liaison"]):
        with pytest.raises(PermissionDenied):
            found.correct(user, "理由", note="x")
        with pytest.raises(PermissionDenied):
            found.withdraw(user, "理由")
    expected = {
        colleague: 403,
        personas["viewer"]: 403,
        personas["liaison"]: 403,
        personas["other_clerk"]: 404,
    }
    for user, status in expected.items():
        c = client_for(user)
        assert (
            c.post(reverse("spotchecks:withdraw", args=[found.pk]), {"withdraw-reason": "理由"}).status_code
            == status
        )
        assert (
            c.post(
                reverse("spotchecks:correct", args=[found.pk]),
                {
                    "correct-date": "2026-03-03",
                    "correct-method": "phone",
                    "correct-found_present": "True",
                    "correct-reason": "理由",
                },
            ).status_code
            == status
        )
    found.refresh_from_db()
    assert not found.withdrawn and found.corrected_at is None and found.found_present is False
    # The colleague sees the check but is offered neither form.
    page = client_for(colleague).get(found.get_absolute_url())
    assert (
        page.status_code == 200 and page.context["correction"] is None and page.context["withdrawal"] is None
    )


def test_a_correction_or_withdrawal_without_a_reason_is_refused(client_for, personas, serving):
    found = check(serving, TUESDAY, personas["clerk"])
    for reason in ("", "   ", None):
        with pytest.raises(ValidationError) as refused:
            found.correct(personas["clerk"], reason, found_present=True)
        assert "correction_reason" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            found.withdraw(personas["county_admin"], reason)
        assert "withdrawal_reason" in refused.value.message_dict
    clerk = client_for(personas["clerk"])
    page = clerk.post(reverse("spotchecks:withdraw", args=[found.pk]), {"withdraw-reason": "  "})
    assert page.status_code == 200 and page.context["withdrawal"].errors["reason"]
    page = clerk.post(
        reverse("spotchecks:correct", args=[found.pk]),
        {
            "correct-date": "2026-03-03",
            "correct-method": "phone",
            "correct-found_present": "True",
            "correct-reason": "",
        },
    )
    assert page.status_code == 200 and page.context["correction"].errors["reason"]
    found.refresh_from_db()
    assert not found.withdrawn and found.corrected_at is None and found.found_present is False


def test_the_database_refuses_a_withdrawal_without_who_or_why(personas, serving):
    found = check(serving, TUESDAY, personas["clerk"])
    for values in (
        {"withdrawn_at": timezone.now(), "withdrawn_by": personas["clerk"], "withdrawal_reason": ""},
        {"withdrawn_at": timezone.now(), "withdrawal_reason": "理由"},
        {"corrected_at": timezone.now(), "corrected_by": personas["clerk"], "correction_reason": " "},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            SpotCheck.objects.filter(pk=found.pk).update(**values)


def test_a_correction_is_checked_like_a_new_check(personas, serving):
    found = check(serving, TUESDAY, personas["clerk"])
    with pytest.raises(ValidationError) as refused:
        found.correct(personas["clerk"], "改日期", date=timezone.localdate() + datetime.timedelta(days=1))
    assert "date" in refused.value.message_dict
    with pytest.raises(ValidationError):
        found.correct(personas["clerk"], "没改", found_present=False)  # nothing changes
    found.withdraw(personas["clerk"], "撤销")
    with pytest.raises(ValidationError):
        found.correct(personas["county_admin"], "改", found_present=True)
    with pytest.raises(ValidationError):
        found.withdraw(personas["county_admin"], "再撤销")


# --- a withdrawn check counts nowhere -----------------------------------------------------------
def test_a_withdrawn_finding_no_longer_caps_the_appraisal_nor_counts_as_a_discrepancy(
    personas, serving, tree
):
    march_row(serving)
    found = check(serving, TUESDAY, personas["clerk"])
    assert discrepancy_count() == 1
    assert leave_rules.unexcused_absences_by_assignment([serving.pk], 2026) == {serving.pk: 1}
    round_ = AppraisalRound.start(tree["county"], 2026, "annual", personas["county_admin"])
    [f] = appraisal_rules.facts_for(round_, list(round_.appraisals.all()))[0].values()
    assert f.unexcused == 1 and f.cap != Grade.EXCELLENT

    found.withdraw(personas["county_admin"], "查错了人")
    assert discrepancy_count() == 0
    assert leave_rules.unexcused_absences_by_assignment([serving.pk], 2026) == {}
    [f] = appraisal_rules.facts_for(round_, list(round_.appraisals.all()))[0].values()
    assert f.unexcused == 0 and f.cap == Grade.EXCELLENT


def test_a_withdrawn_earlier_check_leaves_the_later_check_of_the_day_as_the_finding(personas, serving):
    march_row(serving)
    first = check(serving, TUESDAY, personas["clerk"], at=timezone.now() - datetime.timedelta(hours=2))
    second = check(serving, TUESDAY, personas["county_admin"])
    first.withdraw(personas["clerk"], "误录")
    found = {c.pk: c for c in leave_rules.with_findings(SpotCheck.objects.all())}
    assert not found[first.pk].unexcused_absence and not found[first.pk].discrepancy
    assert found[second.pk].unexcused_absence and not found[second.pk].repeat and found[second.pk].discrepancy
    assert discrepancy_count() == 1


def test_the_list_shows_a_withdrawn_check_struck_through_with_its_reason(client_for, personas, serving):
    march_row(serving)
    found = check(serving, TUESDAY, personas["clerk"])
    found.withdraw(personas["clerk"], "查错了人")
    admin = client_for(personas["county_admin"])
    page = admin.get(reverse("spotchecks:list")).content.decode()
    assert 'class="withdrawn"' in page and "查错了人" in page
    assert not admin.get(reverse("spotchecks:list") + "?only=discrepancies").context["page"].object_list
    assert [
        c.pk for c in admin.get(reverse("spotchecks:list") + "?only=withdrawn").context["page"].object_list
    ] == [found.pk]
    home = admin.get(reverse("home"))
    assert home.context["discrepancy_count"] == 0


# --- the grid cell and the to-dos ---------------------------------------------------------------
def test_the_grid_cell_shows_the_discrepancy_for_the_clerk_and_the_county(client_for, personas, serving):
    march_row(serving, {4: "A"})
    check(serving, TUESDAY, personas["clerk"])  # sheet says P: a discrepancy
    check(serving, WEDNESDAY, personas["clerk"])  # sheet says A: none
    for user in (personas["clerk"], personas["county_admin"]):
        page = client_for(user).get(
            reverse("attendance:sheet", args=[serving.village.township.code, "2026-03"])
        )
        html = page.content.decode()
        [row] = page.context["rows"]
        assert set(row.discrepancies) == {TUESDAY}
        cells = html.split('data-i="')
        tuesday, wednesday = cells[3], cells[4]  # day 3 is index 2, after the split's first part
        assert tuesday.startswith('2"') and "discrepancy" in cells[2].rsplit("<td", 1)[1]
        assert 'title="' in tuesday.split(">", 1)[0] and "2026-03-03" in tuesday.split(">", 1)[0]
        assert "discrepancy" not in cells[3].rsplit("<td", 1)[1]
        assert wednesday.startswith('3"')


def test_a_withdrawn_check_leaves_the_grid_cell_unmarked(client_for, personas, serving):
    march_row(serving)
    check(serving, TUESDAY, personas["clerk"]).withdraw(personas["clerk"], "误录")
    page = client_for(personas["clerk"]).get(
        reverse("attendance:sheet", args=[serving.village.township.code, "2026-03"])
    )
    [row] = page.context["rows"]
    assert row.discrepancies == {} and " discrepancy" not in page.content.decode()


def groups(user):
    return {g.kind: g for g in todos.for_user(user, today=datetime.date(2026, 11, 30))}


def test_the_todo_lists_the_discrepancy_for_whoever_keeps_or_approves_the_sheet(personas, serving):
    march_row(serving)
    found = check(serving, TUESDAY, personas["clerk"])
    for user in (personas["clerk"], personas["county_admin"]):
        group = groups(user)["discrepancy"]
        assert group.count == 1
        [(text, url)] = group.items
        assert "抽查对象" in text and url == found.get_absolute_url()
    for user in (personas["other_clerk"], personas["viewer"], personas["liaison"], personas["other_admin"]):
        assert "discrepancy" not in groups(user)
    # Corrected on the sheet (A) or withdrawn: off the list.
    found.withdraw(personas["clerk"], "查错了人")
    assert "discrepancy" not in groups(personas["clerk"])


def _queries(callable_):
    with CaptureQueriesContext(connection) as ctx:
        callable_()
    return len(ctx)


def test_grid_todos_and_check_page_run_a_constant_number_of_queries(
    client_for, personas, serving, make_cadre, make_village, dispatch
):
    march_row(serving)
    found = check(serving, TUESDAY, personas["clerk"])
    clerk = client_for(personas["clerk"])
    sheet_url = reverse("attendance:sheet", args=[serving.village.township.code, "2026-03"])

    def measure():
        cache.clear()  # computed afresh each time, not served from the grid's or the badge's cache
        return (
            _queries(lambda: clerk.get(sheet_url)),
            _queries(lambda: todos.for_user(personas["clerk"], today=datetime.date(2026, 11, 30))),
            _queries(lambda: clerk.get(found.get_absolute_url())),
        )

    others = [dispatch(make_cadre(name=f"干部{n}"), make_village(name=f"村{n}")) for n in range(3)]
    for other in others:
        march_row(other)
    clerk.get(sheet_url)  # the sheet and its rows exist from here on
    before = measure()
    for other in others:
        for day in (TUESDAY, WEDNESDAY):
            check(other, day, personas["clerk"])
    found.correct(personas["clerk"], "补充备注", note="再次核实")
    found.correct(personas["county_admin"], "再补充", note="已核实")
    assert measure() == before


def test_the_cheap_discrepancy_count_agrees_with_the_discrepancies(
    personas, serving, make_cadre, make_village, dispatch
):
    other = dispatch(make_cadre(name="另一人"), make_village(name="东村"))
    march_row(serving, {4: "B", 5: "A"})
    march_row(other)
    earlier = timezone.now() - datetime.timedelta(hours=2)
    # Two absences the same day (one discrepancy), a B day, an A day (none), a present check,
    # a withdrawn first check of a day whose second check stands, a Saturday.
    check(serving, TUESDAY, personas["clerk"], at=earlier)
    check(serving, TUESDAY, personas["county_admin"])
    check(serving, WEDNESDAY, personas["clerk"])
    check(serving, datetime.date(2026, 3, 5), personas["clerk"])
    check(serving, datetime.date(2026, 3, 6), personas["clerk"], present=True)
    check(other, TUESDAY, personas["clerk"], at=earlier).withdraw(personas["clerk"], "误录")
    check(other, TUESDAY, personas["clerk"])
    check(other, datetime.date(2026, 3, 7), personas["clerk"])
    check(other, datetime.date(2026, 3, 10), personas["clerk"]).withdraw(personas["county_admin"], "查错")
    checks = SpotCheck.objects.all()
    # B on the sheet before the check is official business reported: no discrepancy.
    assert leave_rules.count_discrepancies(checks) == discrepancy_count() == 2
    for user in (personas["clerk"], personas["county_admin"]):
        group = groups(user)["discrepancy"]
        assert group.count == len(group.items) == 2
