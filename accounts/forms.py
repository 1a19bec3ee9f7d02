"""Form helpers shared by every app's forms and the admin."""

from django import forms
from django.utils.translation import gettext_lazy as _

PLEASE_CHOOSE = _("Please choose")


def ask_to_choose(field):
    """A choice field's empty choice reads "please choose" (请选择) instead of "---------"."""
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label is not None:
            field.empty_label = PLEASE_CHOOSE
    elif isinstance(field, forms.ChoiceField):
        field.choices = [(v, PLEASE_CHOOSE if v == "" else label) for v, label in field.choices]
    return field


class PromptToChoose:
    """A form whose empty choices read "please choose" (请选择) instead of "---------"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            ask_to_choose(field)
