"""Imports look every referenced object up through the jurisdiction (accounts.access.scope): a
reference outside it reads exactly as one that does not exist, and nothing is written."""

import datetime

import pytest
from django.urls import reverse
from django.utils.translation import gettext as _

from assignments.models import Assignment, AssignmentEvent
from cadres.models import Cadre
from villages.models import Region, Village

from .conftest import make_id
from .test_imports import VILLAGE_HEADERS, run, xlsx

ASSIGNMENT_HEADERS = ["身份证号", "村代码", "职务", "任职时间", "计划期满", "批次", "派出层级"]


@pytest.fixture
def admin(personas):
    return personas["county_admin"]


def row(id_number, village_code):
    return [id_number, village_code, "第一书记", "2025-03-01", "", "2025年第一批", "县级"]


def messages(result):
    """(row, column, message) of each error: the value the row gave aside."""
    return [(e.row, e.column, e.message) for e in result.errors]


def test_another_countys_cadre_reads_as_no_such_cadre_and_nothing_is_written(
    admin, tree, make_village, make_cadre, client_for
):
    village = make_village()
    theirs = make_cadre(name="海阳干部", unit=tree["other_unit"], region=tree["other_county"])
    nobody = make_id(datetime.date(1986, 6, 1))
    assert not Cadre.objects.filter(id_number=nobody).exists()
    writes = Assignment.objects.count(), AssignmentEvent.objects.count()

    result = run("assignments", xlsx(ASSIGNMENT_HEADERS, [row(theirs.id_number, village.code)]), admin)
    missing = run("assignments", xlsx(ASSIGNMENT_HEADERS, [row(nobody, village.code)]), admin)

    assert messages(result) == messages(missing)
    assert [(e.row, e.column) for e in result.errors] == [(2, "身份证号")]
    assert result.errors[0].message == _("No cadre with this ID number: import the cadre first.")
    assert theirs.region.name not in result.errors[0].message
    assert (result.created, result.updated) == (0, 0)
    assert (Assignment.objects.count(), AssignmentEvent.objects.count()) == writes
    # and the cadre stays outside the county admin's jurisdiction
    assert client_for(admin).get(reverse("cadres:detail", args=[theirs.pk])).status_code == 404


def test_another_countys_village_reads_as_no_such_village_and_nothing_is_written(
    admin, tree, make_village, make_cadre
):
    cadre = make_cadre()
    theirs = make_village(township=tree["t3"], name="海阳村")
    nowhere = tree["t3"].code[:9] + "999"
    assert not Village.objects.filter(code=nowhere).exists()

    result = run("assignments", xlsx(ASSIGNMENT_HEADERS, [row(cadre.id_number, theirs.code)]), admin)
    missing = run("assignments", xlsx(ASSIGNMENT_HEADERS, [row(cadre.id_number, nowhere)]), admin)
    mine = run("assignments", xlsx(ASSIGNMENT_HEADERS, [row(cadre.id_number, "370682100999")]), admin)

    assert messages(result) == messages(missing) == messages(mine)
    assert [(e.row, e.column) for e in result.errors] == [(2, "村代码")]
    assert result.errors[0].message == _("No village with this code: import the village first.")
    assert not Assignment.objects.exists()


def test_a_cadre_who_served_in_the_county_may_be_dispatched_again_by_import(
    admin, personas, tree, make_village, make_cadre
):
    """Filed elsewhere but served here: inside the jurisdiction, as on the dispatch page."""
    cadre = make_cadre(name="曾驻莱阳", unit=tree["other_unit"], region=tree["other_county"])
    earlier, village = make_village(), make_village()
    Assignment.dispatch(
        cadre=cadre,
        village=earlier,
        role="first_secretary",
        start_date=datetime.date(2021, 3, 1),
        user=admin,
        dispatch_level="county",
    )
    result = run("assignments", xlsx(ASSIGNMENT_HEADERS, [row(cadre.id_number, village.code)]), admin)
    assert result.ok, result.errors
    assert Assignment.objects.filter(cadre=cadre, village=village).exists()


def test_village_import_refuses_another_countys_codes_with_the_same_words_whether_registered_or_not(
    admin, tree, make_village
):
    make_village(township=tree["t3"], name="海阳村")  # 370687100201
    existing_village = ["370687100201", "外县村", "", "", "脱贫村", "否", "", "", ""]
    missing_village = ["370687100299", "外县村", "", "", "脱贫村", "否", "", "", ""]
    existing_township = ["370682100301", "本县村", "370687100000", "", "脱贫村", "否", "", "", ""]
    missing_township = ["370682100302", "本县村", "370687555000", "某镇", "脱贫村", "否", "", "", ""]
    unknown_county = ["370682100303", "本县村", "370699100000", "某镇", "脱贫村", "否", "", "", ""]
    writes = Village.objects.count(), Region.objects.count()

    def refused(r):
        result = run("villages", xlsx(VILLAGE_HEADERS, [r]), admin)
        assert len(result.errors) == 1, result.errors
        e = result.errors[0]
        return e.column, e.message.replace(e.value, "<code>")

    # the township is read off the village code when the row gives none
    assert refused(existing_village) == refused(missing_village) == refused(existing_township)
    assert refused(existing_township) == refused(missing_township) == refused(unknown_county)
    assert refused(existing_township)[0] == "乡镇代码"
    # a village code of another county under a township of the county: the code's own words
    in_mine = ["370687100201", "外县村", "370682100000", "", "脱贫村", "否", "", "", ""]
    assert refused(in_mine) == refused(["370687100299", *in_mine[1:]])
    assert refused(in_mine)[0] == "村代码"
    # neither the other county's township nor its village is named
    for r in (existing_village, existing_township):
        message = run("villages", xlsx(VILLAGE_HEADERS, [r]), admin).errors[0].message
        assert "凤城街道" not in message and "海阳" not in message
    assert (Village.objects.count(), Region.objects.count()) == writes
