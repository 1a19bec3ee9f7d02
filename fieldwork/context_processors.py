"""What the navigation needs to know about check-in (签到): a cadre's link shows only where check-in
is on for the cadre's township; the township's and county's link only where it is on somewhere in
their jurisdiction (a county that does not use check-in never sees it)."""

from django.core.cache import cache
from django.db.models import Q

from accounts.models import Role
from config.generation import data_generation

OFFICE_ROLES = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
CACHE_SECONDS = 120


def cadre_navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.role == Role.CADRE and user.cadre_id:
        from . import checkins

        # A callable: the template evaluates it only where the navigation shows (two small queries).
        return {"checkin_on": lambda: checkins.enabled_for_cadre(user.cadre_id)}
    if user.role in OFFICE_ROLES and user.region_id:
        return {"checkins_in_use": lambda: _in_use(request, user.region)}
    return {}


def _in_use(request, region):
    """Whether any policy turns check-in on in ``region``, below it or above it (inherited). Cached at
    the data generation (a policy change moves it), so the header costs no query on most pages."""
    key = f"checkins-in-use:{region.pk}:{data_generation(request)}"
    found = cache.get(key)
    if found is None:
        from assignments.models import Policy

        found = (
            Policy.objects.filter(checkin_enabled=True)
            .filter(Q(region__code__startswith=region.prefix) | Q(region__code__in=region.ancestor_codes))
            .exists()
        )
        cache.set(key, found, CACHE_SECONDS)
    return found
