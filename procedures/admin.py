"""Admin for channels, procedures (with drag-and-drop steps) and FAQs."""

from adminsortable2.admin import CustomInlineFormSet, SortableAdminBase, SortableTabularInline
from django.contrib import admin
from django.db import models, transaction
from django.forms import Textarea

from curation.admin import ContentAdmin, FollowsOwnerWorkflow
from curation.import_admin import ContentImportExportMixin
from sources.admin import sources_inline

from .models import MAX_STEPS, Channel, Faq, Procedure, Step
from .resources import ChannelResource, ProcedureResource
from .services import park_steps, renumber_steps


@admin.register(Channel)
class ChannelAdmin(ContentImportExportMixin, ContentAdmin):
    resource_classes = [ChannelResource]
    list_display = ("name", "kind", "region", "phone", "url", "status", "updated_at")
    list_filter = ("kind", ("region", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("region",)
    search_fields = ("name", "slug", "phone", "url", "description", "region__name", "region__pinyin", "=region__code")
    autocomplete_fields = ("region",)
    ordering = ("region__code", "kind", "name")
    inlines = (sources_inline(Channel),)
    exclude = ("sources",)


class StepFormSet(CustomInlineFormSet):
    def clean(self) -> None:
        super().clean()
        # The position is a hidden field that the drag-and-drop script fills; if a browser sends it empty, an
        # existing step keeps its place (new steps get one at the end in save_new) instead of failing to save.
        for form in self.initial_forms:
            if form.instance.pk and getattr(form, "cleaned_data", None) and form.cleaned_data.get("position") is None:
                form.cleaned_data["position"] = form.initial["position"]
                form.instance.position = form.initial["position"]

    @transaction.atomic
    def save(self, commit=True):
        # A drag-and-drop reorder saves step by step; without parking the moved steps first, the second save
        # would hit the unique (procedure, position) constraint that the first has not vacated yet. The formset
        # itself has already refused two steps on one position.
        moved = [
            form.instance.pk
            for form in self.initial_forms
            if form.instance.pk and (self._should_delete_form(form) or "position" in form.changed_data)
        ]
        park_steps(procedure=self.instance, step_ids=moved)
        saved = super().save(commit)
        renumber_steps(procedure=self.instance)
        return saved


class StepInline(FollowsOwnerWorkflow, SortableTabularInline):
    model = Step
    # One step is a sentence or two: a low box keeps a whole procedure on one screen.
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 2, "cols": 80})}}
    formset = StepFormSet
    ordering = ("position",)
    fields = ("instruction", "ui_path", "channel", "position")
    autocomplete_fields = ("channel",)
    extra = 0
    max_num = MAX_STEPS


@admin.register(Procedure)
class ProcedureAdmin(ContentImportExportMixin, SortableAdminBase, ContentAdmin):
    resource_classes = [ProcedureResource]
    list_display = ("title", "kind", "region", "channel", "insurance", "standing", "status", "updated_at")
    list_filter = (
        "kind", ("region", admin.RelatedOnlyFieldListFilter), "card_types", "channel__kind", "insurance", "standing",
    )  # fmt: skip
    list_select_related = ("region", "channel")
    search_fields = ("title", "slug", "summary", "steps__instruction", "region__name", "region__pinyin", "region__code")
    autocomplete_fields = ("region", "channel", "card_types")
    ordering = ("region__code", "kind", "title")
    inlines = (StepInline, sources_inline(Procedure))
    exclude = ("sources",)


@admin.register(Faq)
class FaqAdmin(ContentAdmin):
    list_display = ("question", "status", "updated_at")
    list_filter = ("card_types", ("regions", admin.RelatedOnlyFieldListFilter))
    search_fields = ("question", "answer", "slug", "regions__name", "regions__pinyin", "=regions__code")
    autocomplete_fields = ("regions", "card_types", "procedures")
    ordering = ("slug",)
    inlines = (sources_inline(Faq),)
    exclude = ("sources",)
