"""The form that registers a cadre or edits the record, on the application's own page.

It holds no rule of its own: the model decides (``Cadre.clean_fields`` / ``clean()`` and the
constraints, through the ModelForm's ``full_clean``), and ``filing`` decides what needs the user
(which units, where the record is filed, an ID number already registered) — the same as the Excel
import and the admin.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.forms import PromptToChoose

from . import filing, idcard
from .models import Cadre, Unit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CadreForm(PromptToChoose, forms.ModelForm):
    # The page's sections, in order: (title or None, fields).
    SECTIONS = (
        (_("Personal details"), ("name", "id_number", "ethnicity", "phone")),
        (_("Party membership"), ("political_status", "party_joined_on", "party_full_member_on")),
        (
            _("Work and unit"),
            (
                "unit",
                "position",
                "full_time",
                "rank",
                "work_started_on",
                "education",
                "specialty",
                "rural_experience",
            ),
        ),
        (None, ("note",)),
    )

    class Meta:
        model = Cadre
        # Birth date and gender are not asked: the model reads them from the ID number.
        fields = [
            "name",
            "id_number",
            "ethnicity",
            "phone",
            "political_status",
            "party_joined_on",
            "party_full_member_on",
            "work_started_on",
            "unit",
            "position",
            "full_time",
            "rank",
            "education",
            "specialty",
            "rural_experience",
            "note",
        ]
        widgets = {
            "party_joined_on": DateInput(),
            "party_full_member_on": DateInput(),
            "work_started_on": DateInput(),
            "note": forms.Textarea(attrs={"rows": 3}),
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
        }
        labels = {"name": _("Name")}  # a person's (姓名), not the model's generic "name" (名称)
        help_texts = {
            "id_number": _("18 characters; the last may be X. The birth date and gender are read from it."),
            "party_joined_on": _("For a CPC member or a probationary member."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.existing = None  # the record that already has the ID number, when the user may open it
        self.fields["unit"].queryset = access.scope(user, Unit.objects.all()).select_related("region")
        self.fields["unit"].label_from_instance = lambda u: f"{u.name}（{u.region.name}）"

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def clean_id_number(self):
        value = idcard.normalize(self.cleaned_data["id_number"])
        message, self.existing = filing.id_number_taken(self.user, value, self.instance)
        # The model validates the number typed even when it is refused here, so that it does not
        # report a missing number besides.
        self.instance.id_number = value
        if message:
            raise forms.ValidationError(message, code="unique")
        return value

    def clean(self):
        data = super().clean()
        # Read again from the ID number (Cadre.clean_fields fills them when empty), so that they
        # follow a corrected number.
        self.instance.birth_date = None
        self.instance.gender = ""
        if not self.instance.pk and data.get("unit"):
            self.instance.region = filing.filing_region(self.user, data["unit"])
        return data
