"""Admin for channels, procedures (with drag-and-drop steps) and FAQs."""

from adminsortable2.admin import CustomInlineFormSet, SortableAdminBase, SortableTabularInline
from django.conf import settings
from django.contrib import admin
from django.db import models, transaction
from django.forms import Media, Textarea

from curation.admin import ContentAdmin, FollowsOwnerWorkflow
from curation.import_admin import ContentImportExportMixin
from regions.admin import SearchesByRegion
from sources.admin import sources_inline

from .models import MAX_STEPS, Channel, Faq, Procedure, Step
from .resources import ChannelResource, ProcedureResource
from .services import park_steps, renumber_steps


@admin.register(Channel)
class ChannelAdmin(SearchesByRegion, ContentImportExportMixin, ContentAdmin):
    resource_classes = [ChannelResource]
    list_display = ("name", "kind", "region", "phone", "url", "status", "updated_at")
    list_filter = ("kind", ("region", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("region",)
    search_fields = ("name", "slug", "phone", "url", "description")
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
    """The steps of a procedure its user may edit, reordered by drag and drop or the arrows (django-admin-sortable2,
    whose script and style come with this inline only)."""

    model = Step
    # One step is a sentence or two: a low box keeps a whole procedure on one screen.
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 2, "cols": 80})}}
    formset = StepFormSet
    ordering = ("position",)
    fields = ("instruction", "ui_path", "channel", "position")
    autocomplete_fields = ("channel",)
    extra = 0
    max_num = MAX_STEPS

    @property
    def media(self) -> Media:
        extra = "" if settings.DEBUG else ".min"
        return super().media + Media(
            css={"all": ["adminsortable2/css/sortable.css"]}, js=[f"adminsortable2/js/adminsortable2{extra}.js"]
        )


class ReadOnlyStepInline(FollowsOwnerWorkflow, admin.TabularInline):
    """The steps of a procedure its user may not change (published, archived, or in review for an editor): in order,
    each headed by its number, without drag handles or arrows that would move them on screen and save nothing."""

    model = Step
    ordering = ("position",)
    fields = ("instruction", "ui_path", "channel")
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(SearchesByRegion, ContentImportExportMixin, SortableAdminBase, ContentAdmin):
    resource_classes = [ProcedureResource]
    list_display = ("title", "kind", "region", "channel", "insurance", "standing", "status", "updated_at")
    list_filter = (
        "kind", ("region", admin.RelatedOnlyFieldListFilter), "card_types", "channel__kind", "insurance", "standing",
    )  # fmt: skip
    list_select_related = ("region", "channel")
    search_fields = ("title", "slug", "summary", "steps__instruction")
    autocomplete_fields = ("region", "channel", "card_types")
    ordering = ("region__code", "kind", "title")
    inlines = (StepInline, sources_inline(Procedure))
    exclude = ("sources",)

    @property
    def media(self) -> Media:
        # Past SortableAdminBase, which would load the drag-and-drop script on every page: StepInline brings it where
        # steps can be moved.
        return super(SortableAdminBase, self).media

    def get_inlines(self, request, obj):
        if obj is None or self.has_change_permission(request, obj):
            return super().get_inlines(request, obj)
        return [ReadOnlyStepInline if inline is StepInline else inline for inline in super().get_inlines(request, obj)]


@admin.register(Faq)
class FaqAdmin(SearchesByRegion, ContentAdmin):
    region_field = "regions"
    list_display = ("question", "status", "updated_at")
    list_filter = ("card_types", ("regions", admin.RelatedOnlyFieldListFilter))
    search_fields = ("question", "answer", "slug")
    autocomplete_fields = ("regions", "card_types", "procedures")
    ordering = ("slug",)
    inlines = (sources_inline(Faq),)
    exclude = ("sources",)
