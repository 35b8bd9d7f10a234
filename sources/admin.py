"""The sources' admin, and the inline that cites them from every other content admin."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from curation.admin import ContentAdmin, FollowsOwnerWorkflow

from .models import Source


def sources_inline(model) -> type[admin.TabularInline]:
    """An inline that attaches sources to `model` through its `sources` many-to-many table."""

    class SourcesInline(FollowsOwnerWorkflow, admin.TabularInline):
        autocomplete_fields = ("source",)
        extra = 0
        min_num = 1
        verbose_name = _("source")
        verbose_name_plural = _("sources")

        def get_formset(self, request, obj=None, **kwargs):
            # Every fact cites a source: removing the last one is refused, not silently accepted.
            formset = super().get_formset(request, obj, validate_min=True, **kwargs)
            formset.default_error_messages = {
                **formset.default_error_messages,
                "too_few_forms": _("Cite at least one source: every fact needs its evidence."),
            }
            return formset

    SourcesInline.model = model.sources.through
    SourcesInline.__name__ = f"{model.__name__}SourcesInline"
    return SourcesInline


@admin.register(Source)
class SourceAdmin(ContentAdmin):
    list_display = ("title", "publisher", "official", "published_on", "retrieved_on", "status", "updated_at")
    list_filter = ("official",)
    search_fields = ("title", "publisher", "slug", "url")
    ordering = ("title",)
    prepopulated_fields = {}
    fields = ("title", "slug", "publisher", "official", "url", "published_on", "retrieved_on", "note")
