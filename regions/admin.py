"""Admin for regions: searchable by Chinese name, pinyin, initials and code; and the search that finds content by its
region."""

from django.contrib import admin
from django.db.models import QuerySet
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _

from .filtersets import subtree
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


class SearchesByRegion:
    """For the admin of content that belongs to regions: each word of the search finds what the admin's own
    `search_fields` find, or the content of every region that word names as the region search does (张家口,
    zhangjiakou, zjk, 1307), and of the regions below it (张家口 finds its counties' rules)."""

    region_field = "region"
    search_help_text = _(
        "Words of the content, or a region by Chinese name (张家口), pinyin (zhangjiakou), pinyin initials (zjk) or "
        "the start of its code (1307), which also finds the content of the regions below it."
    )

    def get_search_results(self, request, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        found = queryset
        for word in smart_split(search_term):
            by_text, _duplicates = super().get_search_results(request, queryset, word)
            if word[:1] in "\"'" and word[0] == word[-1] and len(word) > 1:
                word = unescape_string_literal(word)
            by_region = queryset.filter(**{f"{self.region_field}__in": subtree(Region.objects.search(word))})
            # A subquery on the ids, so that the joins of either search never repeat a row in the list.
            found = found.filter(pk__in=(by_text | by_region).values("pk"))
        return found, False
