from django.contrib import admin

from accounts.admin import ScopedAdmin

from .models import Region, Village


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(Village)
class VillageAdmin(ScopedAdmin):
    list_display = ["code", "name", "township", "categories_display", "party_org_grade", "population"]
    list_filter = ["party_org_grade", "problem_prominent"]
    search_fields = ["code", "name", "township__name"]
    autocomplete_fields = ["township"]
    list_select_related = ["township"]

    @admin.display(description=Village._meta.get_field("categories").verbose_name)
    def categories_display(self, obj):
        return obj.get_categories_display()
