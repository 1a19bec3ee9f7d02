"""The round page's filters (township, role): read and applied here, by the page and its export."""

from accounts import access
from assignments.models import Assignment
from villages.models import Region


def round_filters(round_, user, data):
    """The township and role filters of the round page (from GET or POST), validated, with the
    choices to offer: the townships of the round's county the user sees, and the roles. A value
    that is not one of the choices filters nothing."""
    townships = list(
        access.scope(user, Region.objects.filter(parent=round_.county, level="township")).order_by("code")
    )
    township = next((t for t in townships if str(t.pk) == (data.get("township") or "")), None)
    role = data.get("role") if data.get("role") in Assignment.Role.values else ""
    return {"townships": townships, "township": township, "role": role, "roles": Assignment.Role.choices}


def shows(filters, facts):
    """Whether a person's row passes ``filters``: one of the assignments the round covers (``facts``
    of ``rules.facts_for``) lies in the township and has the role chosen."""
    township, role = filters["township"], filters["role"]
    return not (township or role) or any(
        (not township or s.village.township_id == township.code) and (not role or s.role == role)
        for s in facts.assignments
    )
