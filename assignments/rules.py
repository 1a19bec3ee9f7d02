"""Who may be sent where (选派标准), from the effective policy. Used by Assignment.clean()."""

from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from cadres.dates import years_between


def assignment_errors(a):
    """Field → messages for everything that forbids this assignment."""
    errors = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if not (a.cadre_id and a.village_id and a.start_date and a.role):
        return errors  # the form reports the missing fields themselves
    if a.planned_end_date and a.planned_end_date <= a.start_date:
        add("planned_end_date", _("The planned end date must be after the start date."))
        return errors
    from .models import Policy

    policy = Policy.effective_for(a.village.township)
    for field, message in eligibility_errors(a.cadre, a.role, a.start_date, policy):
        add(field, message)
    for field, messages in overlap_errors(a).items():
        for message in messages:
            add(field, message)
    return errors


def eligibility_errors(cadre, role, start, policy):
    """(field, message) pairs: age for everyone; party and work record for a first secretary."""
    from .models import Assignment

    found = []
    age = years_between(cadre.birth_date, start)
    if age > policy.max_age:
        found.append(
            (
                "cadre",
                _(
                    "Aged %(age)d on %(start)s (born %(birth)s): over the age limit of %(max)d, cannot be sent."
                )
                % {
                    "age": age,
                    "start": start.isoformat(),
                    "birth": cadre.birth_date.isoformat(),
                    "max": policy.max_age,
                },
            )
        )
    if role != Assignment.Role.FIRST_SECRETARY:
        return found
    status = cadre.PoliticalStatus
    if cadre.political_status == status.PROBATIONARY:
        found.append(
            (
                "cadre",
                _("A probationary party member cannot serve as first secretary: a full member is required."),
            )
        )
    elif cadre.political_status != status.PARTY_MEMBER:
        found.append(("cadre", _("Not a CPC member: a first secretary must be a full party member.")))
    if cadre.political_status == status.PARTY_MEMBER:
        # 党龄 counts from full membership (转正), not from joining (党章 Art. 7).
        if not cadre.party_full_member_on:
            found.append(
                (
                    "cadre",
                    _(
                        "The date the cadre became a full party member (转正时间) is missing: party years "
                        "count from it. Enter it on the cadre's record first."
                    ),
                )
            )
        elif years_between(cadre.party_full_member_on, start) < policy.min_party_years:
            found.append(
                (
                    "cadre",
                    _(
                        "Party age under %(years)d year(s) (full member since %(date)s): "
                        "cannot serve as first secretary."
                    )
                    % {"years": policy.min_party_years, "date": cadre.party_full_member_on.isoformat()},
                )
            )
    if not cadre.work_started_on:
        found.append(
            ("cadre", _("The date the cadre started work is missing: enter it on the cadre's record first."))
        )
    elif years_between(cadre.work_started_on, start) < policy.min_work_years:
        found.append(
            (
                "cadre",
                _(
                    "Work experience under %(years)d year(s) (started %(date)s): cannot serve as first secretary."
                )
                % {"years": policy.min_work_years, "date": cadre.work_started_on.isoformat()},
            )
        )
    return found


def not_serving_on(cadres, day):
    """The cadres of ``cadres`` free to be sent on ``day``: none of their assignments serves that day
    (``AssignmentQuerySet.serving_on``: started, and neither ended nor past its planned end). What the
    dispatch page offers; ``overlap_errors`` and the exclusion constraint still decide a dispatch."""
    from .models import Assignment

    return cadres.exclude(Exists(Assignment.objects.filter(cadre=OuterRef("pk")).serving_on(day)))


def _overlapping(qs, start, last_day):
    return qs.annotate(_last=Coalesce(F("end_date"), F("planned_end_date"))).filter(
        start_date__lte=last_day, _last__gte=start
    )


def overlap_errors(a):
    """Friendly versions of the exclusion constraints, naming the conflicting assignment."""
    from .models import Assignment

    errors = {}
    if not (a.start_date and a.planned_end_date):
        return errors
    last_day = a.end_date or a.planned_end_date
    others = Assignment.objects.exclude(pk=a.pk).select_related("village", "cadre")
    for other in _overlapping(others.filter(cadre_id=a.cadre_id), a.start_date, last_day)[:3]:
        errors.setdefault("start_date", []).append(
            _("%(cadre)s already serves in %(village)s from %(start)s to %(end)s; terms may not overlap.")
            % {
                "cadre": other.cadre.name,
                "village": other.village.name,
                "start": other.start_date.isoformat(),
                "end": other.last_day.isoformat(),
            }
        )
    if a.role == Assignment.Role.FIRST_SECRETARY:
        rivals = others.filter(village_id=a.village_id, role=Assignment.Role.FIRST_SECRETARY)
        for other in _overlapping(rivals, a.start_date, last_day)[:3]:
            errors.setdefault("village", []).append(
                _(
                    "%(village)s already has first secretary %(cadre)s from %(start)s to %(end)s: "
                    "end that term first or choose a later start date."
                )
                % {
                    "village": other.village.name,
                    "cadre": other.cadre.name,
                    "start": other.start_date.isoformat(),
                    "end": other.last_day.isoformat(),
                }
            )
    if a.pk is None:
        for message in team_size_errors(a):
            errors.setdefault("village", []).append(message)
    return errors


def peak_team(start, last_day, terms):
    """(day, size) of the largest team on any day from ``start`` to ``last_day`` for a newcomer
    joining ``terms`` ((start, last day) pairs of the village's other assignments), the newcomer
    counted. The size only grows on the first day or when another term starts, so those days are
    the only ones to count; the earliest day of the peak is returned."""
    terms = [(s, e) for s, e in terms if s <= last_day and e >= start]
    best = (start, 0)
    for day in sorted({start} | {s for s, _e in terms if s > start}):
        size = 1 + sum(1 for s, e in terms if s <= day <= e)
        if size > best[1]:
            best = (day, size)
    return best


def team_size_errors(a, *, first_day=None, extra=()):
    """The work-team maximum (first secretary included) on every day of ``a``'s term from
    ``first_day`` (default: its start), counting those who start later; ``extra`` holds unsaved
    assignments of the same import. Empty when the policy sets no maximum."""
    from .models import Assignment, Policy

    if not (a.village_id and a.start_date and a.planned_end_date):
        return []
    policy = Policy.effective_for(a.village.township)
    if not policy.team_max_size:
        return []
    first = max(first_day or a.start_date, a.start_date)
    last_day = a.end_date or a.planned_end_date
    others = _overlapping(
        Assignment.objects.filter(village_id=a.village_id).exclude(pk=a.pk), first, last_day
    ).values_list("start_date", "_last")
    terms = [*others, *((b.start_date, b.last_day) for b in extra if b.village_id == a.village_id)]
    day, size = peak_team(first, last_day, terms)
    if size <= policy.team_max_size:
        return []
    return [
        _(
            "On %(day)s the work team of %(village)s would have %(n)d members (first secretary included); "
            "the policy allows at most %(max)d. Choose other dates or end another member's term first."
        )
        % {"day": day.isoformat(), "village": a.village.name, "n": size, "max": policy.team_max_size}
    ]


def assignment_warnings(a):
    """Things the page shows but that do not forbid the assignment."""
    from .models import Assignment

    notes = []
    cadre = a.cadre
    if a.role == Assignment.Role.TEAM_MEMBER and not cadre.is_party_member:
        notes.append(_("This work-team member is not a party member; party members are preferred."))
    if a.village_id and not a.village.categories:
        notes.append(_("This village is not in any dispatch category."))
    return notes


def preferences(cadre, on):
    """Preferred traits (shown, never required) — POLICY.md 选派标准."""
    found = []
    if cadre.rural_experience:
        found.append(_("Rural work experience"))
    if cadre.specialty:
        found.append(_("Specialty: %(specialty)s") % {"specialty": cadre.specialty})
    age = years_between(cadre.birth_date, on)
    if (cadre.rank == "section" and age <= 35) or (cadre.rank == "deputy_section" and age <= 30):
        found.append(_("Young cadre"))
    return found
