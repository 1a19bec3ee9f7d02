"""The dispatch page's pickers: which cadres and villages it offers, and in what words.

Nothing here decides a rule. Who is serving is ``rules.not_serving_on`` (``serving_on`` of the
assignments); what a village lacks is ``coverage``; who may see or search an ID number is the
access helper. A dispatch is still decided by ``Assignment.dispatch`` alone: the form validates
against every cadre and village in the jurisdiction, so a cadre left out of the list (serving on
the start date) is refused there, with the rule's own message, not by the picker.
"""

import re

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext as _

from accounts import access

from . import coverage, rules

# An ID number's tail as typed: digits, the last one possibly the check character X.
_ID_TAIL = re.compile(r"[0-9]*[0-9X]")


def search_cadres(cadres, query, user):
    """(the cadres of ``cadres`` that ``query`` finds, a note for the user or "").

    A query of digits (the last may be X) is the end of an ID number: at most as many characters
    as ``user`` may search by (the last 4, what a masked number shows, for those who see it
    masked); anything else is part of a name."""
    query = (query or "").replace("\x00", "").strip()  # PostgreSQL text holds no NUL
    if not query:
        return cadres, ""
    tail = query.upper()
    if _ID_TAIL.fullmatch(tail) and any(ch.isdigit() for ch in tail):
        limit = access.searchable_id_tail(user)
        if len(tail) > limit:
            return cadres.none(), _(
                "Only the last %(n)d characters of an ID number can be searched: nothing found."
            ) % {"n": limit}
        return cadres.filter(id_number__endswith=tail), ""
    return cadres.filter(name__contains=query), ""


def offered_cadres(cadres, day, query, user, keep=None):
    """(the cadres the picker lists, a note): those of ``cadres`` not serving on ``day`` that
    ``query`` finds, and the one already chosen (``keep``, a pk) so a refused dispatch shows it."""
    found, note = search_cadres(rules.not_serving_on(cadres, day), query, user)
    keep = str(keep or "")
    if keep.isascii() and keep.isdigit() and len(keep) <= 18:
        found = found | cadres.filter(pk=int(keep))
    return found.select_related("unit").order_by("name", "pk"), note


def cadre_label(cadre):
    """Name, unit and the ID number's tail: the tail a masked number shows, whoever looks."""
    return f"{cadre.name}（{cadre.unit.name}，…{cadre.id_number[-access.ID_TAIL :]}）"


def offered_villages(villages, day):
    return coverage.annotate(villages.select_related("township"), day).order_by("code")


def village_label(village):
    return f"{village.township.name} · {village.name} — {'、'.join(map(str, coverage.gap_words(village)))}"


class _OfferedChoices(ModelChoiceIterator):
    """The field's ``offered`` rows (not its ``queryset``, which validates), one query, grouped
    when the field has ``groups``."""

    def __init__(self, field):
        super().__init__(field)
        if field.offered is not None:
            self.queryset = field.offered

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = [self.choice(obj) for obj in self.queryset]
        if not self.field.groups:
            yield from rows
            return
        buckets = {}
        for row in rows:
            buckets.setdefault(self.field.group_of(row[0].instance), []).append(row)
        for key, label in self.field.groups.items():
            if key in buckets:
                yield (label, buckets[key])


class PickerField(forms.ModelChoiceField):
    """A model choice that accepts anything of ``queryset`` but lists ``offered``."""

    iterator = _OfferedChoices
    groups = None  # {key: label}, in the order listed
    offered = None

    def group_of(self, obj):
        raise NotImplementedError

    def offer(self, queryset, offered):
        self.offered = offered
        self.queryset = queryset  # the setter refreshes the widget's choices


class VillagePicker(PickerField):
    """Villages with their coverage gap, those with a gap first."""

    groups = coverage.GROUPS

    def group_of(self, obj):
        return coverage.group_of(obj)

    def label_from_instance(self, obj):
        return village_label(obj)


class CadreSelect(forms.Select):
    """Each option carries what the page's search matches (name, ID tail) for the script."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        cadre = getattr(value, "instance", None)
        if cadre is not None:
            option["attrs"]["data-name"] = cadre.name
            option["attrs"]["data-tail"] = cadre.id_number[-access.ID_TAIL :]
        return option


class CadrePicker(PickerField):
    """A list box (no "please choose" row) so that what the search leaves shows at once."""

    widget = CadreSelect(attrs={"size": 8})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, empty_label=None, **kwargs)

    def label_from_instance(self, obj):
        return cadre_label(obj)
