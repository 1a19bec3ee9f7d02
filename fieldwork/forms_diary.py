from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import diary, photos
from .models import DiaryEntry, MonthlyReport


class DiaryEntryForm(forms.ModelForm):
    # Not the model's field: the upload is checked and re-encoded here, then stored by name.
    upload = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("Never required. At most 5 MB; location and other metadata are removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_photo = forms.BooleanField(label=_("Remove the photo"), required=False)

    class Meta:
        model = DiaryEntry
        fields = ["date", "kind", "households", "text"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "text": forms.Textarea(attrs={"rows": 5}),
            "households": forms.NumberInput(attrs={"min": 0, "max": 500, "inputmode": "numeric"}),
        }

    def __init__(self, *args, cadre_id, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.cadre_id, self.today = cadre_id, today
        self.photo_bytes = None
        if not self.instance.photo:
            del self.fields["remove_photo"]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            self.photo_bytes = photos.clean_upload(upload)
        return upload

    def clean(self):
        data = super().clean()
        day = data.get("date")
        if day is not None:
            try:
                self.assignment = diary.check_date(self.cadre_id, day, self.today)
            except ValidationError as e:
                self.add_error(None, e)
        return data

    def save(self, user):
        entry = self.instance
        old_photo = entry.photo
        entry.assignment = self.assignment
        if not entry.pk:
            entry.created_by = user
        if self.photo_bytes is not None:
            entry.photo = photos.store(self.photo_bytes)
        elif self.cleaned_data.get("remove_photo"):
            entry.photo = ""
        entry.save()
        if old_photo and old_photo != entry.photo:
            photos.delete(old_photo)
        return entry


class ReportForm(forms.ModelForm):
    class Meta:
        model = MonthlyReport
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 8})}
        labels = {"text": _("In your own words (what went well, what needs the township's help)")}
