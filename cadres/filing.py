"""Filing a cadre's record (备案): what the Excel import, the registration page and the admin decide
beyond the model's own ``clean()``, which needs the user who files it.

- ``filing_region``: the region a new record is filed with.
- ``registered_outside``: an ID number whose record lies outside the user's jurisdiction. The
  message says so without describing the record: not its region, not its name (another county's
  records are not the user's to read).
- ``id_number_taken``: for a page that registers or edits one record, an ID number already given
  to another record (the import updates a record of its own jurisdiction instead).
"""

from django.utils.translation import gettext as _

from accounts import access

from .models import Cadre


def filing_region(user, unit):
    """The region a new cadre is filed with: the user's own (the organisation department that
    registers the cadre), or for a user without one (the system administrator) the unit's."""
    return user.region if user.region_id else unit.region


def registered_outside(user, cadre):
    """Why ``user`` may not change the record of ``cadre`` found by its ID number, or None."""
    if access.owns(user, cadre):
        return None
    return _(
        "This ID number is already registered outside your jurisdiction: the organisation department "
        "where the cadre is filed (备案) keeps the record."
    )


def id_number_taken(user, id_number, instance=None):
    """(message, the other record when the user may open it) for an ID number that another record
    has, or (None, None). ``instance``: the record being edited, which may keep its own number."""
    others = Cadre.objects.filter(id_number=id_number).select_related("region")
    if instance is not None and instance.pk:
        others = others.exclude(pk=instance.pk)
    other = others.first()
    if other is None:
        return None, None
    message = registered_outside(user, other)
    if message:
        return message, None
    return Cadre._meta.get_field("id_number").error_messages["unique"], other
