from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.admin import ScopedAdmin

from . import filing, idcard
from .models import Cadre, Unit


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    list_display = ["name", "level", "kind", "region"]
    list_filter = ["level", "kind"]
    search_fields = ["name"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]


@admin.register(Cadre)
class CadreAdmin(ScopedAdmin):
    list_display = ["name", "gender", "unit", "rank", "political_status", "phone"]
    list_filter = ["rank", "political_status", "gender", "education"]
    search_fields = ["name", "id_number", "unit__name"]
    autocomplete_fields = ["unit", "region"]
    list_select_related = ["unit"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "id_number" not in form.base_fields:
            return form
        user = request.user

        class CadreAdminForm(form):
            def clean_id_number(self):
                # An ID number already registered: answered as on the registration page and in the
                # import (cadres.filing), not describing a record outside the jurisdiction.
                value = idcard.normalize(self.cleaned_data["id_number"])
                message, _other = filing.id_number_taken(user, value, self.instance)
                if message:
                    raise ValidationError(message, code="unique")
                return value

        return CadreAdminForm
