from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from assignments.attendance import parse_month
from assignments.forms import DateInput
from assignments.views_leave import found_present_field
from villages.models import Region

from .models import Method


class PlanForm(forms.Form):
    """The county plans for itself or one of its townships; a township for its own cadres."""

    region = forms.ModelChoiceField(
        label=gettext_lazy("For"), queryset=Region.objects.none(), empty_label=None
    )
    month = forms.CharField(
        label=gettext_lazy("Month checked"),
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=gettext_lazy("The cadres are proposed from the records of the month before."),
    )
    size = forms.IntegerField(
        label=gettext_lazy("Number of checks"),
        min_value=1,
        max_value=500,
        initial=10,
        help_text=gettext_lazy(
            "At least this many; every cadre at or above the risk threshold is checked even beyond it."
        ),
    )
    methods = forms.MultipleChoiceField(
        label=gettext_lazy("Methods"),
        choices=Method.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Method.PHONE, Method.VISIT],
        error_messages={"required": gettext_lazy("Methods: choose at least one way of checking.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # This month, from the finished month before: a plan is made at the start of its month.
        self.fields["month"].initial = f"{timezone.localdate():%Y-%m}"
        if user.role == Role.COUNTY_ADMIN:
            self.fields["region"].queryset = Region.objects.filter(
                code__startswith=user.region.prefix, level__in=[Region.Level.COUNTY, Region.Level.TOWNSHIP]
            ).order_by("code")
            self.fields["region"].initial = user.region.pk
        else:
            self.fields["region"].queryset = Region.objects.filter(pk=user.region_id)
            self.fields["region"].initial = user.region_id
            # 暗访 is the county's: a township's plan is never unannounced.
            self.fields["methods"].choices = [c for c in Method.choices if c[0] != Method.UNANNOUNCED]

    def clean_month(self):
        month = parse_month(self.cleaned_data["month"])
        if month is None:
            raise forms.ValidationError(_("Month checked: enter it as year-month, e.g. 2026-03."))
        today = timezone.localdate()
        if abs((month - today.replace(day=1)).days) > 366:
            raise forms.ValidationError(_("Month checked: choose a month within a year of this one."))
        return month

    def clean(self):
        data = super().clean()
        region, methods = data.get("region"), data.get("methods") or []
        if region and Method.UNANNOUNCED in methods and region.level != Region.Level.COUNTY:
            self.add_error(
                "methods",
                _("Methods: an unannounced inspection (暗访) is planned by the county for the whole county."),
            )
        return data


class OutcomeForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date of the check"), widget=DateInput())
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, initial={"date": task.date}, **kwargs)
        self.fields["found_present"] = found_present_field()
        self.order_fields(["date", "found_present", "note"])

    def clean_note(self):
        note = self.cleaned_data["note"]
        if "\x00" in note:
            raise forms.ValidationError(_("Note: it contains a NUL character (U+0000); type it again."))
        return note
