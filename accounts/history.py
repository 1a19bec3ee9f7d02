"""An object's change history, read from the trigger-written tables of django-pghistory.

The triggers record every insert, update and delete whatever wrote it (a page, the admin, an
import, a bulk update, SQL), with the user and URL that the request middleware attached.
"""

from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from . import access
from .models import User

SENSITIVE = {"id_number"}
HIDDEN = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context", "updated_at", "version"}
# Who-did-it fields declared without a label of their own (their automatic label is English).
USER_LABELS = {
    "created_by": _("created by"),
    "updated_by": _("updated by"),
    "decided_by": _("decided by"),
    "submitted_by": _("submitted by"),
    "approved_by": _("approver"),
    "reopened_by": _("reopened by"),
    "finalized_by": _("finalized by"),
}
# Shown in full on the object's own page; in the history it would be one long unreadable line.
LONG = {"shortfall_reasons"}


def _value(field, value):
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    choices = dict(field.flatchoices) if field is not None and field.choices else {}
    if isinstance(value, list):
        return "、".join(
            _value(field, v) if isinstance(v, (dict, list)) else str(choices.get(v, v)) for v in value
        )
    if isinstance(value, dict):  # a JSON field's object (e.g. who was capped, on a round's shortfall)
        return "，".join(f"{k}：{_value(None, v)}" for k, v in value.items())
    return str(choices.get(value, value))


def _user(users, pk):
    found = users.get(pk)
    if found is None:
        return "—" if pk is None else str(pk)
    return found.get_full_name() or found.username


def for_object(obj, user, limit=100):
    """[{"at", "user", "action", "changes": [(label, before, after)]}], newest first."""
    if not access.sees_history(user):
        return []
    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[:limit])
    fields = {f.attname: f for f in obj._meta.concrete_fields}
    fields.update({f.name: f for f in obj._meta.concrete_fields})
    # Who did it (the request's user), and the users a change names (created_by, finalized_by …).
    user_fields = {name for name, f in fields.items() if f.is_relation and f.related_model is User}
    user_ids = {(e.pgh_context or {}).get("user") for e in events}
    for e in events:
        for name in user_fields:
            user_ids.update((e.pgh_diff or {}).get(name) or [])
            user_ids.add((e.pgh_data or {}).get(name))
    user_ids -= {None}
    # Always one query, even when no event names a user, so pages keep a constant query count.
    users = {u.pk: u for u in User.objects.filter(pk__in=[*user_ids, 0])}
    masked = not access.sees_id_numbers(user)
    rows = []
    for e in events:
        if e.pgh_label == "insert":
            diff = {k: [None, v] for k, v in (e.pgh_data or {}).items()}
        else:
            diff = e.pgh_diff or {}
        changes = []
        for name, (before, after) in sorted(diff.items()):
            if name in HIDDEN or name == "id":
                continue
            field = fields.get(name)
            if name in SENSITIVE and masked:
                before, after = access.mask_id_number(before or ""), access.mask_id_number(after or "")
            label = str(field.verbose_name) if field is not None else name
            if field is not None and field.verbose_name == field.name.replace("_", " "):
                label = str(USER_LABELS.get(field.name, label))
            if name in LONG:
                changes.append((label, "…" if before else "—", "…" if after else "—"))
            elif name in user_fields:
                changes.append((label, _user(users, before), _user(users, after)))
            else:
                changes.append((label, _value(field, before), _value(field, after)))
        if e.pgh_label == "update" and not changes:
            continue
        context = e.pgh_context or {}
        rows.append(
            {
                "at": e.pgh_created_at,
                "user": users.get(context.get("user")),
                "url": context.get("url", ""),
                "action": e.pgh_label,
                "changes": changes,
            }
        )
    return rows
