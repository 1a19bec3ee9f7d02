from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PromptToChoose
from cadres.models import Level

from . import pickers
from .models import Assignment


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DispatchForm(PromptToChoose, forms.Form):
    """Lists, for the start date ``day``: the villages with their coverage gap (gaps first) and the
    cadres not serving that day that ``query`` finds; accepts any village and cadre of the
    jurisdiction, so that ``Assignment.dispatch`` alone decides (see assignments/pickers.py)."""

    village = pickers.VillagePicker(label=_("Village"), queryset=None, to_field_name="code")
    cadre = pickers.CadrePicker(label=_("Cadre"), queryset=None)
    role = forms.ChoiceField(label=_("Role"), choices=Assignment.Role.choices)
    team_leader = forms.BooleanField(
        label=_("Work-team leader (工作队长)"),
        required=False,
        help_text=_("Usually the first secretary. A village has one leader at a time."),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    planned_end_date = forms.DateField(
        label=_("Planned end date"),
        required=False,
        widget=DateInput(),
        help_text=_(
            "Leave empty for the policy's term: a term of N years ends the day before the Nth anniversary "
            "of the start (2 years from 2025-03-01 end on 2027-02-28), so a successor starts on the anniversary."
        ),
    )
    batch = forms.CharField(label=_("Batch"), max_length=40, required=False)
    dispatch_level = forms.ChoiceField(label=_("Dispatched by"), choices=Level.choices, initial=Level.COUNTY)
    mentor_name = forms.CharField(label=_("Mentor"), max_length=40, required=False)
    mentor_post = forms.CharField(label=_("Mentor's post"), max_length=60, required=False)
    liaison_name = forms.CharField(label=_("Unit liaison"), max_length=40, required=False)
    liaison_phone = forms.CharField(label=_("Liaison's phone"), max_length=20, required=False)

    # 先定村、再定人: the village, the role and the day first; the cadres listed are those free that day.
    field_order = ["village", "role", "team_leader", "start_date", "cadre", "planned_end_date"]

    def __init__(self, *args, villages, cadres, user, day, query="", keep=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.day, self.query = day, query
        offered, self.search_note = pickers.offered_cadres(cadres, day, query, user, keep)
        self.fields["village"].offer(villages, pickers.offered_villages(villages, day))
        self.fields["cadre"].offer(cadres, offered)
        self.fields["village"].help_text = _(
            "Each village with what it lacks on %(day)s; villages with a gap come first."
        ) % {"day": day.isoformat()}
        self.fields["cadre"].help_text = _(
            "The cadres not serving on %(day)s. After changing the start date, press “Find” to list "
            "the cadres free on the new date."
        ) % {"day": day.isoformat()}

    @classmethod
    def day_of(cls, value, default):
        """The start date as entered (the day the pickers list for), else ``default``."""
        try:
            return cls.base_fields["start_date"].to_python(value) or default
        except forms.ValidationError:
            return default


class EndForm(PromptToChoose, forms.Form):
    end_date = forms.DateField(label=_("Last day in the village"), widget=DateInput())
    end_reason = forms.ChoiceField(
        label=_("End reason"),
        choices=[c for c in Assignment.EndReason.choices if c[0] != Assignment.EndReason.RECALLED],
    )
    end_note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RecallForm(forms.Form):
    end_date = forms.DateField(label=_("Recalled as of"), widget=DateInput())
    end_note = forms.CharField(
        label=_("Reason for the recall"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. 工作不胜任、群众不满意. The village stays uncovered until a replacement starts."),
    )


class ExtendForm(forms.Form):
    planned_end_date = forms.DateField(
        label=_("New planned end date"),
        widget=DateInput(),
        help_text=_("Proposed: one more year, ending the day before the next anniversary of the start."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


def apply_errors(form, exc):
    """Show a model ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)
