"""What the cadre's navigation needs on every page: whether check-in is on where the cadre serves."""

from accounts.models import Role


def cadre_navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role != Role.CADRE or not user.cadre_id:
        return {}
    from . import checkins

    # A callable: the template evaluates it only where the navigation shows (two small queries).
    return {"checkin_on": lambda: checkins.enabled_for_cadre(user.cadre_id)}
