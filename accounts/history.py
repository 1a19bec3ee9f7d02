"""An object's change history, read from the trigger-written tables of django-pghistory.

The triggers record every insert, update and delete whatever wrote it (a page, the admin, an
import, a bulk update, SQL), with the user and URL that the request middleware attached.
"""

import re

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from . import access
from .models import User

SENSITIVE = {"id_number"}
# Shown as year-month wherever the ID number is masked (the full date would rebuild it).
BIRTH = {"birth_date"}
HIDDEN = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context", "updated_at", "version"}
# Who-did-it fields declared without a label of their own (their automatic label is English).
USER_LABELS = {
    "created_by": _("created by"),
    "updated_by": _("updated by"),
    "decided_by": _("decided by"),
    "submitted_by": _("submitted by"),
    "entered_by": _("entered by"),
    "approved_by": _("approver"),
    "reopened_by": _("reopened by"),
    "finalized_by": _("finalized by"),
}
# Timestamps the history itself shows in its "when" column, or that say nothing to a reader.
# Any other field whose automatic label would be English gets one here.
FIELD_LABELS = {
    "created_at": _("created at"),
    "decided_at": _("decided at"),
    "submitted_at": _("submitted at"),
    "approved_at": _("approved at"),
    "reopened_at": _("reopened at"),
    "finalized_at": _("finalized at"),
}


def _when(field, value):
    """A stored date or timestamp as the reader's local date/time; None if it is neither."""
    if not isinstance(value, str):
        return None
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%Y-%m-%d %H:%M")
    elif isinstance(field, models.DateField):
        day = parse_date(value)
        if day is not None:
            return day.strftime("%Y-%m-%d")
    elif field is None and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d.*", value):
        moment = parse_datetime(value)
        if moment is not None and timezone.is_aware(moment):
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    return None


def _value(field, value):
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    when = _when(field, value)
    if when is not None:
        return when
    if isinstance(field, ArrayField):
        field = field.base_field
    choices = dict(field.flatchoices) if field is not None and field.choices else {}
    if isinstance(value, list):
        return "、".join(
            _value(field, v) if isinstance(v, (dict, list)) else str(choices.get(v, v)) for v in value
        )
    if isinstance(value, dict):  # a JSON field's object (e.g. who was capped, on a round's shortfall)
        return "，".join(f"{k}：{_value(None, v)}" for k, v in value.items())
    return str(choices.get(value, value))


def _label(field, name):
    if field is None:
        return str(FIELD_LABELS.get(name, USER_LABELS.get(name.removesuffix("_id"), name)))
    if field.verbose_name == field.name.replace("_", " "):
        return str(USER_LABELS.get(field.name) or FIELD_LABELS.get(field.name) or field.verbose_name)
    return str(field.verbose_name)


def _related(events, fields, user_fields):
    """{field name: {pk: str(object)}} for the objects the events' foreign keys name.

    One query per foreign key of the model (not per event), so a page's count stays constant.
    """
    names = {
        name: f
        for name, f in fields.items()
        if f.is_relation and f.many_to_one and name not in user_fields and name == f.column
    }
    wanted = {name: set() for name in names}
    for e in events:
        for source in (e.pgh_diff or {}, e.pgh_data or {}):
            for name in names:
                value = source.get(name)
                if isinstance(value, list):
                    wanted[name].update(v for v in value if v is not None)
                elif value is not None:
                    wanted[name].add(value)
    found = {}
    for name, f in names.items():
        model, target = f.related_model, f.target_field.attname
        qs = model._base_manager.filter(**{f"{target}__in": [*wanted[name]]})
        related = [r.name for r in model._meta.concrete_fields if r.many_to_one]
        found[name] = {getattr(o, target): str(o) for o in qs.select_related(*related)}
    return found


def _object(found, pk):
    if pk is None or pk == "":
        return "—"
    return found.get(pk) or str(_("(deleted)"))


def _user(users, pk):
    found = users.get(pk)
    if found is None:
        return "—" if pk is None else str(_("(deleted)"))
    return found.get_full_name() or found.username


def for_object(obj, user, limit=100):
    """[{"at", "user", "action", "changes": [(label, before, after)]}], newest first."""
    if not access.sees_history(user):
        return []
    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[:limit])
    fields = {f.attname: f for f in obj._meta.concrete_fields}
    fields.update({f.name: f for f in obj._meta.concrete_fields})
    fields.update({f.column: f for f in obj._meta.concrete_fields})  # the events' keys
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
    related = _related(events, fields, user_fields)
    shown_by_model = getattr(type(obj), "history_values", {})
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
            # Masked for everyone: a full ID number is shown only on demand and logged (the cadre
            # page's "show" button), never as a side effect of reading the history.
            if name in SENSITIVE:
                before, after = access.mask_id_number(before or ""), access.mask_id_number(after or "")
            if name in BIRTH:
                before, after = access.mask_birth_date(before) or None, access.mask_birth_date(after) or None
            label = _label(field, name)
            if isinstance(field, models.JSONField):
                # A structured value (a round's shortfall reasons) is shown in full on the object's
                # own page; in the history it would be one long unreadable line.
                changes.append((label, "…" if before else "—", "…" if after else "—"))
            elif field is not None and field.name in shown_by_model:
                changes.append((label, *shown_by_model[field.name](before, after)))
            elif name in user_fields:
                changes.append((label, _user(users, before), _user(users, after)))
            elif name in related:
                found = related[name]
                changes.append((label, _object(found, before), _object(found, after)))
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
