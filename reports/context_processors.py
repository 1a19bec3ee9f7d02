from . import todos


def todo_count(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # A callable: the template evaluates it only on pages that show the header.
    return {"todo_count": lambda: sum(todos.counts_for_request(request).values())}
