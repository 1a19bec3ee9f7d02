from django.contrib import admin

from accounts.admin import ScopedAdmin

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
