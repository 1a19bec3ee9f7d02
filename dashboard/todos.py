"""待办: what waits for a user, each item linking to the page where they act on it.

Items come from the user's role and jurisdiction only (through accounts.access), so the list and
the count in the header agree with what the user may open.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import Role
from appraisal import opinions as appraisal_opinions
from appraisal.models import AppraisalRound
from assignments import attendance, coverage, leave
from assignments.models import Assignment, AttendanceSheet, LeaveRequest, SpotCheck
from assignments.models.attendance import mark
from config.generation import data_generation
from fieldwork import diary
from fieldwork.models import Trip
from villages.models import Village

LIMIT = 50  # items listed per kind; the count says how many there are in all


@dataclass
class Group:
    kind: str
    title: str
    count: int
    items: list  # (text, url)


def _sheet_items(sheets):
    return [
        (
            f"{s.township.name} {s.month:%Y-%m}",
            reverse("attendance:sheet", args=[s.township.code, f"{s.month:%Y-%m}"]),
        )
        for s in sheets[:LIMIT]
    ]


def _leave_items(leaves):
    return [
        (
            f"{lv.assignment.cadre.name} · {lv.assignment.village.name} · {lv.start_date:%m-%d}–{lv.end_date:%m-%d}"
            + (f" · {_('补假')}" if lv.retroactive else ""),
            lv.get_absolute_url(),
        )
        for lv in leaves[:LIMIT]
    ]


def for_user(user, today=None, items=True, keep_empty=False):
    """The user's to-do groups, biggest duties first; empty groups are left out unless asked for.

    With ``items=False`` only the counts are computed (the header's badge on every page).
    """
    today = today or timezone.localdate()
    groups = []
    if access.can(user, access.APPROVE_ATTENDANCE):
        sheets = (
            access.scope(user, AttendanceSheet.objects.filter(state=AttendanceSheet.State.SUBMITTED))
            .select_related("township")
            .order_by("month", "township__code")
        )
        groups.append(
            Group(
                "approve_sheet",
                _("Approve attendance sheets"),
                sheets.count(),
                _sheet_items(sheets) if items else [],
            )
        )
        # Leave approved (or a return reported) after the sheet was closed: the county reopens it.
        stale = (
            access.scope(user, AttendanceSheet.objects.filter(needs_correction=True))
            .exclude(state=AttendanceSheet.State.OPEN)
            .select_related("township")
            .order_by("month", "township__code")
        )
        groups.append(
            Group(
                "correct_sheet",
                _("Reopen sheets that need correction (leave approved after they were sent)"),
                stale.count(),
                [
                    (
                        f"{s.township.name} {s.month:%Y-%m} · {s.correction_note.replace(chr(10), '; ')}",
                        s.get_absolute_url(),
                    )
                    for s in stale[:LIMIT]
                ]
                if items
                else [],
            )
        )
    if access.can(user, access.DECIDE_COUNTY_LEAVE) or access.can(user, access.DECIDE_TOWNSHIP_LEAVE):
        level = (
            LeaveRequest.Level.COUNTY
            if access.can(user, access.DECIDE_COUNTY_LEAVE)
            else LeaveRequest.Level.TOWNSHIP
        )
        leaves = (
            access.scope(
                user, LeaveRequest.objects.filter(state=LeaveRequest.State.PENDING, approval_level=level)
            )
            .select_related("assignment__cadre", "assignment__village")
            .order_by("start_date")
        )
        groups.append(
            Group(
                "decide_leave",
                _("Decide leave requests"),
                leaves.count(),
                _leave_items(leaves) if items else [],
            )
        )
    if access.can(user, access.KEEP_ATTENDANCE) and user.role == Role.TOWNSHIP_CLERK:
        month = today.replace(day=1)
        fill_items = []
        open_sheets = list(
            AttendanceSheet.objects.filter(township=user.region, state=AttendanceSheet.State.OPEN)
            .exclude(month__gt=month)
            .order_by("month")
        )
        months = {s.month for s in open_sheets}
        has_serving = access.scope(user, Assignment.objects.all()).serving_on(today).exists()
        current_exists = AttendanceSheet.objects.filter(township=user.region, month=month).exists()
        if has_serving and not current_exists:
            months.add(month)
        for m in sorted(months):
            label = (
                _("Fill in and submit %(month)s") if m == month else _("Submit %(month)s (still open)")
            ) % {"month": f"{m:%Y-%m}"}
            fill_items.append((label, reverse("attendance:sheet", args=[user.region.code, f"{m:%Y-%m}"])))
        groups.append(Group("fill_sheet", _("Keep attendance"), len(fill_items), fill_items))
        overdue = leave.overdue_returns(access.scope(user, LeaveRequest.objects.all()), today)
        groups.append(
            Group(
                "overdue_return",
                _("Leave ended without a reported return (销假)"),
                len(overdue),
                [
                    (
                        _("%(cadre)s · %(village)s · ended %(end)s, return due %(due)s")
                        % {
                            "cadre": lv.assignment.cadre.name,
                            "village": lv.assignment.village.name,
                            "end": f"{lv.end_date:%m-%d}",
                            "due": f"{lv.return_due:%m-%d}",
                        },
                        lv.get_absolute_url(),
                    )
                    for lv in overdue[:LIMIT]
                ],
            )
        )
    if access.can(user, access.CONFIRM_TRIP) and user.role == Role.TOWNSHIP_CLERK:
        # 外出报备 waiting for the township: confirmed, the days go into the open sheet as 差.
        trips = (
            access.scope(user, Trip.objects.filter(state=Trip.State.PENDING))
            .select_related("assignment__cadre", "assignment__village")
            .order_by("start_date", "pk")
        )
        groups.append(
            Group(
                "confirm_trip",
                _("Confirm trip reports (外出报备)"),
                trips.count(),
                [
                    (
                        f"{t.assignment.cadre.name} · {t.assignment.village.name} · "
                        f"{t.start_date:%m-%d}–{t.end_date:%m-%d} · {t.destination}"
                        + (f" · {_('Reported late (补报)')}" if t.late else ""),
                        reverse("trips:detail", args=[t.pk]),
                    )
                    for t in trips[:LIMIT]
                ]
                if items
                else [],
            )
        )
    if access.can(user, access.KEEP_ATTENDANCE) and user.role == Role.TOWNSHIP_CLERK:
        # 月汇报: last month has ended; each cadre who served in it owes the township its report.
        last_month = diary.previous_month(today)
        missing = diary.missing_reports(access.scope(user, Assignment.objects.all()), last_month)
        reports_url = reverse("records:reports") + f"?month={last_month:%Y-%m}"
        groups.append(
            Group(
                "missing_report",
                _("Monthly reports not submitted (%(month)s)") % {"month": f"{last_month:%Y-%m}"},
                missing.count(),
                [
                    (f"{a.cadre.name} · {a.village.name}", reports_url)
                    for a in missing.select_related("cadre", "village")[:LIMIT]
                ]
                if items
                else [],
            )
        )
    if access.can(user, access.APPROVE_ATTENDANCE) or (
        access.can(user, access.KEEP_ATTENDANCE) and user.role == Role.TOWNSHIP_CLERK
    ):
        behind = attendance.behind_lately(access.scope(user, Assignment.objects.all()), today)
        groups.append(
            Group(
                "behind_minimum",
                _("Behind the quarterly or yearly minimum"),
                len(behind),
                [
                    (
                        f"{a.cadre.name} · {a.village.name} · {s.label} ({s.present}/{s.required})",
                        a.cadre.get_absolute_url(),
                    )
                    for a, s in behind[:LIMIT]
                ]
                if items
                else [],
            )
        )
    if access.can(user, access.APPROVE_ATTENDANCE) or (
        access.can(user, access.KEEP_ATTENDANCE) and user.role == Role.TOWNSHIP_CLERK
    ):
        # Found away (不在岗) on a day the sheet still records in the village: the township explains
        # or corrects the sheet, the county looks before approving. This year's, as on the home page.
        checks = access.scope(user, SpotCheck.objects.filter(date__year=today.year))
        groups.append(
            Group(
                "discrepancy",
                _("Spot checks found the cadre away on a day the sheet records in the village"),
                leave.count_discrepancies(checks),
                [
                    (
                        _("%(cadre)s · %(village)s · %(date)s: found away, the sheet says %(code)s")
                        % {
                            "cadre": c.assignment.cadre.name,
                            "village": c.assignment.village.name,
                            "date": f"{c.date:%m-%d}",
                            "code": mark(c.recorded_code),
                        },
                        c.get_absolute_url(),
                    )
                    for c in leave.discrepancies(checks)
                    .select_related("assignment__cadre", "assignment__village")
                    .order_by("date", "pk")[:LIMIT]
                ]
                if items
                else [],
            )
        )
    if access.can(user, access.DISPATCH):
        villages = access.scope(user, Village.objects.all())
        # Villages without a first secretary, including those whose secretary's recall or term end
        # is recorded with no successor yet (even while the last days are being served).
        gaps = coverage.filter_state(villages, "no_secretary", today)
        dispatch = reverse("assignments:dispatch")
        gap_items = [
            (
                f"{v.township.name} · {v.name}"
                + (f" ({coverage.STATES['recall_gap']})" if v.recall_gap else "")
                + (f" ({coverage.STATES['term_gap']})" if v.term_gap else ""),
                f"{dispatch}?village={v.code}&role=first_secretary",
            )
            for v in (
                coverage.filter_state(coverage.annotate(villages, today), "no_secretary")
                .select_related("township")
                .order_by("code")[:LIMIT]
                if items
                else []
            )
        ]
        title = _("Send a first secretary")
        if items:
            counts = coverage.summary(villages, today)
            title = _("Send a first secretary (%(recalled)d after a recall, %(ended)d after a term end)") % {
                "recalled": counts["recall_gap"],
                "ended": counts["term_gap"],
            }
        groups.append(Group("replace_secretary", title, gaps.count(), gap_items))
    if access.can(user, access.RUN_APPRAISAL):
        drafts = access.scope(
            user, AppraisalRound.objects.filter(state=AppraisalRound.State.DRAFT)
        ).select_related("county")
        groups.append(
            Group(
                "finalize_round",
                _("Finish appraisal rounds"),
                drafts.count(),
                [(str(r), r.get_absolute_url()) for r in drafts[:LIMIT]] if items else [],
            )
        )
    # The appraisal file: the township's and the unit's opinions, within the round's deadline
    # ("N opinions to give, due <date>": the earliest deadline), one item a person.
    if access.can(user, access.GIVE_OPINION):
        pending = appraisal_opinions.pending_opinions(user, today)
        if pending is not None:
            n = pending.count()
            due = appraisal_opinions.earliest_due(pending) if items and n else None
            title = (
                _("%(n)d opinions to give for the appraisal, due %(date)s")
                % {"n": n, "date": due.isoformat()}
                if due
                else _("%(n)d opinions to give for the appraisal") % {"n": n}
            )
            groups.append(
                Group(
                    "give_opinion",
                    title,
                    n,
                    [
                        (
                            f"{a.cadre.name} · {a.round}",
                            reverse("appraisal:round_opinions", args=[a.round_id]) + f"#row-{a.pk}",
                        )
                        for a in pending.select_related("cadre", "round__county").order_by(
                            "round__opinions_due", "round_id", "cadre__name", "pk"
                        )[:LIMIT]
                    ]
                    if items and n
                    else [],
                )
            )
    # The county dispatches the replacement; the unit recalls its own cadre.
    if access.can(user, access.DISPATCH) or user.role == Role.UNIT_LIAISON:
        serving = access.scope(user, Assignment.objects.all()).serving_on(today)
        flagged = leave.over_leave_cap_all(serving, today.year)
        groups.append(
            Group(
                "recall",
                _("Over the yearly leave cap: the unit must recall"),
                len(flagged),
                [
                    (
                        f"{a.cadre.name} · {a.village.name} ({a.leave_days}/{a.leave_cap})",
                        a.get_absolute_url(),
                    )
                    for a in flagged
                ],
            )
        )
    return groups if keep_empty else [g for g in groups if g.count]


def counts(user, today=None):
    """{kind: count} of every duty the user has (zero included): the one source of the header's
    badge, the to-do page's counts and the home page's to-do tiles."""
    return {g.kind: g.count for g in for_user(user, today, items=False, keep_empty=True)}


# A cached count is reused only at the same data generation (dashboard/migrations/0001: every write to
# a table the to-dos read moves it), so it is never older than the data. The time limit bounds the one
# gap left: a page that reads the generation while another user's write is still uncommitted.
CACHE_SECONDS = 120


def cached_counts(user, today=None, request=None):
    """counts(user), reused from the cache while no data it depends on has changed (the header's
    badge is on every page: computing it afresh cost the grid page a quarter of its time)."""
    today = today or timezone.localdate()
    key = f"todo-counts:{user.pk}:{user.role}:{user.region_id}:{user.unit_id}:{today}:{data_generation(request)}"
    found = cache.get(key)
    if found is None:
        found = counts(user, today)
        cache.set(key, found, CACHE_SECONDS)
    return found


def counts_for_request(request):
    """The counts once per request (the home page's tiles and the header's badge)."""
    found = getattr(request, "_todo_counts", None)
    if found is None:
        found = request._todo_counts = cached_counts(request.user, request=request)
    return found


def groups_for_request(request):
    """The to-do page's groups; the header's badge on that page counts the same groups."""
    groups = for_user(request.user, keep_empty=True)
    request._todo_counts = {g.kind: g.count for g in groups}
    return [g for g in groups if g.count]


def count(user):
    return sum(counts(user).values())
