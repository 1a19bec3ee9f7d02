"""The one place that decides what a user may see and do.

Seeing: ``scope(user, queryset)`` narrows any queryset of a scoped model to the user's jurisdiction.
Each scoped model's QuerySet says how it maps onto a region (``in_region``) and onto a dispatching
unit (``for_unit``); this module decides which of the two applies to whom. Nothing outside this
module filters by jurisdiction.

Doing: ``can(user, action, obj=None)`` answers for an action; with an object it also requires the
object to lie inside the user's own region (``jurisdiction_code`` on the model), so a county admin
may read a city unit that sends cadres into the county but not edit it.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Role

VIEW = "view"
MANAGE_REFERENCE = "manage_reference"  # villages, townships, units, cadres
DISPATCH = "dispatch"  # assignments: dispatch, end, recall, extend
MANAGE_ACCOUNTS = "manage_accounts"
MANAGE_POLICY = "manage_policy"
KEEP_ATTENDANCE = "keep_attendance"  # fill and submit a township's sheet, record spot checks
APPROVE_ATTENDANCE = "approve_attendance"  # approve or reopen sheets
REQUEST_LEAVE = "request_leave"
DECIDE_TOWNSHIP_LEAVE = "decide_township_leave"
DECIDE_COUNTY_LEAVE = "decide_county_leave"
RECORD_SPOT_CHECK = "record_spot_check"
# Correct (更正) or withdraw (撤销) a recorded spot check: whoever recorded it, or the county.
CORRECT_SPOT_CHECK = "correct_spot_check"
WITHDRAW_SPOT_CHECK = "withdraw_spot_check"
RUN_APPRAISAL = "run_appraisal"  # rounds, grades, half-year inspections
ENTER_RESULTS = "enter_results"  # a village's yearly figures (工作实绩)
SEE_ID_NUMBERS = "see_id_numbers"  # full resident ID numbers, on demand and logged (sees_id_numbers)
# Who changed what, and when (the pages' change history and the admin's history pages): internal to
# the organisation departments and township committees, not the dispatching units.
VIEW_HISTORY = "view_history"
# A cadre's own records (fieldwork/): leave requests, trips, diary, monthly reports. Only ever the
# cadre's own: the pages look records up through ``scope``, which gives a cadre nothing else.
RECORD_OWN = "record_own"
# Confirm or reject a cadre's trip report (外出报备): the township where the cadre serves, or the county.
CONFIRM_TRIP = "confirm_trip"
# Read the cadres' work diaries, their photos and monthly reports (fieldwork/views_diary.py): the
# township and county that keep the cadre's attendance, inside their region; no one else (the diary
# names villagers and households: no more people than the duty needs, docs/privacy.md).
READ_FIELDWORK = "read_fieldwork"
# Cadres' check-ins (签到, where a county turns it on) and, on an explicit logged request, their raw
# coordinates: the township and county only (个人信息保护法 Art. 28; never a unit, nor the city above).
SEE_CHECKINS = "see_checkins"
# Make and reset cadres' and township clerks' accounts (county); reset its cadres' passwords (township).
RESET_CADRE_PASSWORDS = "reset_cadre_passwords"
# The administrative divisions (统计用区划代码): with an object, only regions strictly below the user's
# own (a county admin its townships); provinces, cities and counties are the superuser's
# (see can_write_region).
MANAGE_REGIONS = "manage_regions"
MANAGE_LAYOUTS = "manage_layouts"  # a province's or city's column layouts of its returns (excel.layouts)
# 精准督查: make a monthly spot-check plan (supervision/) — the county for itself or a township, a
# township for its own cadres; 暗访 plans are the county's alone (supervision.models.PlanQuerySet).
PLAN_SPOT_CHECKS = "plan_spot_checks"

# The appraisal file (issue 18): the township party committee's opinion on the people who served in
# its township, and the dispatching unit's on its own cadres (the liaison's only write), each with a
# suggested grade, within the round's deadline; the 民主测评 entered by the township (or the county).
GIVE_OPINION = "give_opinion"
# The appraisal forms (年度/期满考核登记表, 驻村工作经历) are printed by the offices that file them;
# the result letters (考核结果反馈函) are read by the offices and, once a round is final, the unit.
PRINT_APPRAISAL_FORMS = "print_appraisal_forms"
READ_RESULT_LETTERS = "read_result_letters"
ENTER_ASSESSMENT = "enter_assessment"

ROLE_ACTIONS = {
    Role.PROVINCE: {
        VIEW,
        VIEW_HISTORY,
        MANAGE_POLICY,
        SEE_ID_NUMBERS,
        MANAGE_LAYOUTS,
        PRINT_APPRAISAL_FORMS,
        READ_RESULT_LETTERS,
    },
    Role.CITY: {
        VIEW,
        VIEW_HISTORY,
        MANAGE_POLICY,
        SEE_ID_NUMBERS,
        MANAGE_LAYOUTS,
        PRINT_APPRAISAL_FORMS,
        READ_RESULT_LETTERS,
    },
    Role.COUNTY_ADMIN: {
        VIEW,
        VIEW_HISTORY,
        SEE_ID_NUMBERS,
        MANAGE_REFERENCE,
        MANAGE_REGIONS,
        DISPATCH,
        MANAGE_ACCOUNTS,
        MANAGE_POLICY,
        APPROVE_ATTENDANCE,
        REQUEST_LEAVE,
        DECIDE_COUNTY_LEAVE,
        RECORD_SPOT_CHECK,
        CORRECT_SPOT_CHECK,
        WITHDRAW_SPOT_CHECK,
        RUN_APPRAISAL,
        ENTER_RESULTS,
        RESET_CADRE_PASSWORDS,
        CONFIRM_TRIP,
        READ_FIELDWORK,
        SEE_CHECKINS,
        PLAN_SPOT_CHECKS,
        ENTER_ASSESSMENT,
        PRINT_APPRAISAL_FORMS,
        READ_RESULT_LETTERS,
    },
    Role.TOWNSHIP_CLERK: {
        VIEW,
        VIEW_HISTORY,
        KEEP_ATTENDANCE,
        REQUEST_LEAVE,
        DECIDE_TOWNSHIP_LEAVE,
        RECORD_SPOT_CHECK,
        CORRECT_SPOT_CHECK,
        WITHDRAW_SPOT_CHECK,
        ENTER_RESULTS,
        RESET_CADRE_PASSWORDS,
        CONFIRM_TRIP,
        READ_FIELDWORK,
        SEE_CHECKINS,
        PLAN_SPOT_CHECKS,
        GIVE_OPINION,
        ENTER_ASSESSMENT,
        PRINT_APPRAISAL_FORMS,
    },
    Role.UNIT_LIAISON: {VIEW, GIVE_OPINION, READ_RESULT_LETTERS},
    Role.CADRE: {RECORD_OWN},
}


def _active(user):
    return user is not None and user.is_authenticated and user.is_active


def scope(user, queryset):
    """The part of ``queryset`` that ``user`` may see."""
    if not _active(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    if user.role == Role.UNIT_LIAISON:
        return queryset.for_unit(user.unit) if user.unit_id else queryset.none()
    if user.role == Role.CADRE:
        # Only models that say how they map onto one cadre (``for_cadre``); nothing of any other.
        for_cadre = getattr(queryset, "for_cadre", None)
        return for_cadre(user.cadre_id) if for_cadre and user.cadre_id else queryset.none()
    if user.role and user.region_id:
        return queryset.in_region(user.region)
    return queryset.none()


def get_object_or_404(user, queryset, **lookup):
    """One object by ``lookup``, or 404 when it does not exist or lies outside the jurisdiction."""
    try:
        return scope(user, queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def owns(user, obj):
    """Whether ``obj`` lies inside the user's own region (for writes); for a cadre, whether it is the
    cadre's own record (``owner_cadre_id``); for a unit's liaison, whether it is about one of the
    unit's own cadres (``owner_unit_id``: a liaison has no region)."""
    if user.is_superuser:
        return True
    if user.role == Role.CADRE:
        return bool(user.cadre_id) and getattr(obj, "owner_cadre_id", None) == user.cadre_id
    if user.role == Role.UNIT_LIAISON:
        return bool(user.unit_id) and getattr(obj, "owner_unit_id", None) == user.unit_id
    code = getattr(obj, "jurisdiction_code", None)
    return bool(code and user.region_id and code.startswith(user.region.prefix))


def can(user, action, obj=None):
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    if action not in ROLE_ACTIONS.get(user.role, set()):
        return False
    if obj is not None and action != VIEW:
        if action in RECORDER_OR_COUNTY and user.role != Role.COUNTY_ADMIN:
            # A clerk changes only the checks the clerk recorded; the county any in its county.
            return owns(user, obj) and getattr(obj, "checked_by_id", None) == user.pk
        if action in ANSWERS_FOR_WHOM_IT_SEES and user.role != Role.UNIT_LIAISON:
            # A township answers for the people who served in it that year, though the appraisal
            # belongs to the county's round: what the township sees of the round is its own.
            return scope(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()
        return owns(user, obj)
    return True


ANSWERS_FOR_WHOM_IT_SEES = {GIVE_OPINION, ENTER_ASSESSMENT}


RECORDER_OR_COUNTY = {CORRECT_SPOT_CHECK, WITHDRAW_SPOT_CHECK}


def can_write_region(user, region):
    """Whether ``user`` may create or rename ``region``: a superuser any; one who may manage regions
    only those strictly below its own region (a county admin its townships, never its county:
    the tree above a county is shared by every county in it)."""
    if not can(user, MANAGE_REGIONS, region):
        return False
    return user.is_superuser or region.code != user.region.code


def sees_id_numbers(user):
    """Who may see full resident ID numbers: the organisation departments that file and report cadres
    (county, city, province). Township clerks and unit liaisons only ever see them masked (pages,
    exports, history, the admin). Even those who may see them get them masked by default and ask for
    the full number (the cadre page's "show" button, an export's explicit choice), which is recorded
    in the security event log (个人信息保护法 Art. 6: no more than the duty needs; docs/privacy.md)."""
    return can(user, SEE_ID_NUMBERS)


def sees_history(user):
    """Who changed what, and when: internal to the organisation departments and township committees."""
    return can(user, VIEW_HISTORY)


# The digits a masked ID number shows at its end (and all that a user who sees it masked may search by).
ID_TAIL = 4


def mask_id_number(value):
    return f"{value[:6]}********{value[-ID_TAIL:]}" if value else ""


def mask_birth_date(value):
    """A birth date shown beside a masked ID number: year and month only (the full date is the ID's
    characters 7–14, so with the masked number it would rebuild the whole). Takes a date or an ISO
    string (a history record's value)."""
    if not value:
        return ""
    return value[:7] if isinstance(value, str) else f"{value:%Y-%m}"


def searchable_id_tail(user):
    """How many trailing characters of an ID number ``user`` may search by: the whole number for those
    who see it (``sees_id_numbers``), else only the tail a masked number shows."""
    return 18 if sees_id_numbers(user) else ID_TAIL


def may_edit_layout(user, region):
    """Whether ``user`` may define ``region``'s export layouts: a province's or city's department its
    own region's only (a province reads its cities' layouts but does not write them); a superuser any."""
    if region is None or region.level not in ("province", "city"):
        return False
    if user.is_superuser:
        return _active(user)
    return can(user, MANAGE_LAYOUTS, region) and region.pk == user.region_id


def require(user, action, obj=None):
    """Raise 403 unless ``can``: the object is visible, the action is not the user's to take."""
    if not can(user, action, obj):
        raise PermissionDenied
