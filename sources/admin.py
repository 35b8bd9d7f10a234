"""Admin for sources, and the pieces every content admin shares."""

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import workflow
from .admin_actions import mark_verified_action
from .admin_filters import NeedsReviewFilter
from .models import ChangeNote, Source


class ContentAdmin(admin.ModelAdmin):
    """Status, timestamps and slug handling common to every curated model."""

    readonly_fields = ("created_at", "updated_at")
    list_per_page = 50
    save_on_top = True
    # Curated links are https; a bare "fw.ybj.beijing.gov.cn" typed by staff should become one.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = (mark_verified_action,)

    def get_list_filter(self, request):
        return ("status", NeedsReviewFilter, *super().get_list_filter(request))


def sources_inline(model) -> type[admin.TabularInline]:
    """An inline that attaches sources to `model` through its `sources` many-to-many table."""

    class SourcesInline(admin.TabularInline):
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
    list_display = ("title", "publisher", "published_on", "retrieved_on", "status", "updated_at")
    search_fields = ("title", "publisher", "slug", "url")
    ordering = ("title",)
    prepopulated_fields = {}
    fields = (
        "title",
        "slug",
        "publisher",
        "url",
        "published_on",
        "retrieved_on",
        "note",
        "status",
        "created_at",
        "updated_at",
    )


class ChangeNoteInline(GenericTabularInline):
    """Public change notes, written on the content they are about. Only publishers (sources.add_changenote) may
    add, change or delete them; the model permissions the inline checks by default say exactly that."""

    model = ChangeNote
    fields = ("changed_on", "note", "written_by")
    readonly_fields = ("written_by",)
    extra = 0
    verbose_name = _("public change note")
    verbose_name_plural = _("public change notes")

    def has_add_permission(self, request, obj=None):
        # A pending edit is deleted when it is merged: its notes would go with it. Write them on the original.
        if obj is not None and obj.is_pending_edit:
            return False
        return super().has_add_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        user = request.user

        class WrittenByFormSet(formset):
            def save_new(self, form, commit=True):
                form.instance.written_by = user
                return super().save_new(form, commit)

        return WrittenByFormSet


def content_types():
    """The content types a note may be about: the content models'."""
    found = ContentType.objects.get_for_models(*workflow.content_models())
    return ContentType.objects.filter(pk__in=[content_type.pk for content_type in found.values()])


class ChangeNoteForm(forms.ModelForm):
    class Meta:
        model = ChangeNote
        fields = ("content_type", "object_id", "changed_on", "note")

    def clean(self):
        cleaned = super().clean()
        content_type, object_id = cleaned.get("content_type"), cleaned.get("object_id")
        if content_type is not None and object_id is not None:
            target = content_type.model_class()._base_manager.filter(pk=object_id).first()
            if target is None:
                raise forms.ValidationError({"object_id": _("No such content.")})
            if target.is_pending_edit:
                raise forms.ValidationError(
                    {"object_id": _("A pending edit is replaced when it is published: write the note on the original.")}
                )
        return cleaned


@admin.register(ChangeNote)
class ChangeNoteAdmin(admin.ModelAdmin):
    """Every public change note in one list; publishers may write one for any content here too."""

    form = ChangeNoteForm
    list_display = ("changed_on", "note", "content_type", "about", "written_by")
    list_filter = ("content_type", "changed_on")
    list_select_related = ("content_type", "written_by")
    search_fields = ("note",)
    date_hierarchy = "changed_on"
    ordering = ("-changed_on", "-id")
    readonly_fields = ("about", "written_by", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("content_object")

    def get_fields(self, request, obj=None):
        return ("content_type", "object_id", "about", "changed_on", "note", "written_by", "created_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "content_type":
            kwargs["queryset"] = content_types()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("about"))
    def about(self, note: ChangeNote):
        target = note.content_object if note.pk else None
        if target is None:
            return "-"
        try:
            url = reverse(f"admin:{target._meta.app_label}_{target._meta.model_name}_change", args=[target.pk])
        except NoReverseMatch:
            return str(target)
        return format_html('<a href="{}">{}</a>', url, target)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.written_by = request.user
        super().save_model(request, obj, form, change)
