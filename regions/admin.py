"""Admin for regions: searchable by Chinese name, pinyin, initials and code."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "short_name", "level", "division_type", "parent")
    list_filter = ("level",)
    list_select_related = ("parent",)
    # Declared so that the autocomplete widgets elsewhere accept Region; the matching itself is Region.objects.search.
    search_fields = ("code", "name", "pinyin")
    search_help_text = _("Chinese name, pinyin (wuhan), pinyin initials (wh) or the start of the code (4201).")
    autocomplete_fields = ("parent",)
    readonly_fields = ("pinyin", "initials")
    ordering = ("code",)
    list_per_page = 100

    def get_search_results(self, request, queryset, search_term):
        # One definition of region search for the admin, its autocompletes and the API.
        return queryset.search(search_term), False
