from . import todos


def todo_count(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # A callable: the template evaluates it only on pages that show the header.
    return {"todo_count": lambda: sum(todos.counts_for_request(request).values())}


# The main navigation's item for each part of the site (by URL namespace, or URL name outside one):
# exactly one item is marked as the current page, the one the page's breadcrumb starts from.
NAV_BY_NAMESPACE = {
    "villages": "villages",
    "assignments": "villages",  # dispatch and an assignment's pages hang under the village
    "cadres": "cadres",
    "attendance": "attendance",
    "leave": "leave",
    "spotchecks": "spotchecks",
    "supervision": "supervision",
    "appraisal": "appraisal",
    "people": "accounts",
    "checkins": "checkins",
    "excel": "exports",
}
NAV_BY_NAME = {"home": "home", "todos": "todos", "password_change": "password"}


def navigation(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {}
    section = NAV_BY_NAMESPACE.get(match.namespace) if match.namespace else NAV_BY_NAME.get(match.url_name)
    role = getattr(getattr(request, "user", None), "role", None)
    if match.namespace == "appraisal" and match.url_name in NAV_OPINIONS and role in NAV_OPINIONS_ROLES:
        section = "opinions"  # the township's and the liaison's own item (templates/base.html)
    return {"nav": section}


NAV_OPINIONS = {"opinions", "round_opinions"}
NAV_OPINIONS_ROLES = {"township_clerk", "unit_liaison"}
