"""What every content admin shares (the review workflow, history and edit versions), and the admin of change notes
and of the audit log."""

import itertools

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import construct_instance
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import workflow
from .admin_filters import NeedsReviewFilter
from .choices import Status
from .diff import is_empty
from .history import (
    pending_changes,
    previous_record,
    record_diff,
    record_history,
    shown_detail,
    shown_reason,
    shown_time,
    stale_summary,
)
from .models import AuditEntry, ChangeNote, ContentModel, StaleEdit


class VersionedForm(forms.ModelForm):
    """Carries the version the editor started from, so a save over someone else's newer save is refused."""

    based_on_version = forms.IntegerField(label=_("based on version"), widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["based_on_version"].initial = self.instance.version
        if "publish_at" in self.fields:
            # The Chinese time format shows minutes only: a time scheduled to the second (through the API) would
            # come back from every save as a changed publication time.
            self.fields["publish_at"].widget.widgets[1].format = "%H:%M:%S"
        elif "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _(
                "Lower-case letters, digits and hyphens; it becomes the content's address and cannot change later. "
                "Left empty, one is made from the region and title in pinyin (zhangjiakou-xiu-gai-mi-ma)."
            )

    def _post_clean(self):
        if "slug" in self.fields and not self.cleaned_data.get("slug") and "slug" not in self._errors:
            # Proposed from what the form holds, then validated like a typed slug. The form's data gets it too: should
            # anything else be refused, the page comes back with the proposal in the box, to keep or change.
            construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
            self.cleaned_data["slug"] = self.instance.propose_slug()
            self.data = self.data.copy()
            self.data[self.add_prefix("slug")] = self.cleaned_data["slug"]
        super()._post_clean()

    def clean(self):
        cleaned = super().clean()
        based_on = cleaned.get("based_on_version")
        if self.instance.pk is not None and based_on is not None:
            current = type(self.instance)._base_manager.filter(pk=self.instance.pk).values_list("version", flat=True)
            current_version = next(iter(current), based_on)
            if current_version != based_on:
                raise ValidationError(stale_message(self.instance, based_on), code="stale")
            # The model checks again when it saves, in case someone else saves between here and there.
            self.instance.version = based_on
        if "publish_at" in cleaned and "publish_at" not in self.changed_data:
            # The widget drops microseconds (a time scheduled through the API has them): an untouched time stays.
            cleaned["publish_at"] = self.instance.publish_at
        return cleaned


def stale_message(obj: ContentModel, based_on: int) -> str:
    who, when, what = stale_summary(obj, based_on)
    return gettext(
        "%(who)s saved this at %(when)s while you were editing it, changing: %(what)s. Your changes were not "
        "saved: reload the page to see theirs, then make your change again."
    ) % {
        "who": who or gettext("Someone else"),
        "when": when,
        "what": what or gettext("its links or steps"),
    }


class FollowsOwnerWorkflow:
    """For inlines of rows a content object owns (steps, citations): editable exactly when their owner is."""

    def _owner_editable(self, request: HttpRequest, obj) -> bool:
        return obj is None or workflow.can_edit(obj, request.user)

    def has_add_permission(self, request, obj=None):
        return self._owner_editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._owner_editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._owner_editable(request, obj) and super().has_delete_permission(request, obj)


def admin_moves() -> list[workflow.Move]:
    """The moves the admin offers (buttons on the change page, bulk actions on the list), from the workflow's table;
    scheduling and reverting have pages of their own."""
    return [move for move in workflow.MOVES.values() if move.in_admin]


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


class ContentAdmin(SimpleHistoryAdmin):
    """Status, workflow, history and timestamps common to every curated model.

    Published and archived content is read-only here: an edit starts a pending copy ("Start an edit") that a
    publisher publishes over the original. Content in review is read-only to editors.
    """

    form = VersionedForm
    workflow_fields = (
        "status",
        "draft_of",
        "publish_at",
        "version",
        "verified_at",
        "verified_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = workflow_fields
    list_per_page = 50
    save_on_top = True
    change_form_template = "admin/curation/content_change_form.html"
    object_history_list_template = "admin/curation/object_history_list.html"
    object_history_form_template = "admin/curation/object_history_form.html"
    # Curated links are https; a bare "fw.ybj.beijing.gov.cn" typed by staff should become one.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    class Media:
        # After the admin's jQuery, which curation/slug.js listens through.
        js = ("admin/js/jquery.init.js", "curation/slug.js")

    def get_list_filter(self, request):
        return ("status", NeedsReviewFilter, *super().get_list_filter(request))

    def get_inlines(self, request, obj):
        return (*super().get_inlines(request, obj), ChangeNoteInline)

    def get_list_display(self, request):
        return (*super().get_list_display(request), "pending_edit")

    @admin.display(description=_("pending edit"), boolean=True)
    def pending_edit(self, obj: ContentModel) -> bool:
        return obj.draft_of_id is not None

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj)]
        # A publisher sets the moment content in review goes live; nobody else, and nothing else can be scheduled.
        # Under four eyes, not the publisher who saved it last: the field stays read-only, so a post cannot set it.
        if (
            obj is not None
            and obj.status == Status.IN_REVIEW
            and workflow.can_publish(request.user)
            and not self._four_eyes_refusal(request, obj)
        ):
            readonly.remove("publish_at")
        if obj is not None:
            readonly.append("slug")  # its public address; a pending edit keeps its original's
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, {**options}) for name, options in super().get_fieldsets(request, obj)]
        present = {field for _, options in fieldsets for field in options["fields"]}
        extra = [name for name in self.workflow_fields if name not in present]
        if extra:
            fieldsets.append((_("Workflow"), {"fields": extra}))
        if obj is None or self.has_change_permission(request, obj):
            # A read-only page has no form to carry it, and would show its empty value.
            fieldsets[-1][1]["fields"] = (*fieldsets[-1][1]["fields"], "based_on_version")
        return fieldsets

    def get_fields(self, request, obj=None):
        # based_on_version goes in last, by get_fieldsets, and only on a form that can be saved.
        hidden = {*self.workflow_fields, "based_on_version"}
        return [field for field in super().get_fields(request, obj) if field not in hidden]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or workflow.can_edit(obj, request.user))

    def has_delete_permission(self, request, obj=None):
        # Public content is archived, not deleted: portals and apps may hold its address.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status in (Status.DRAFT, Status.IN_REVIEW))

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        scheduled = change and "publish_at" in form.changed_data
        # One historical record per save, taken after the inlines (steps, sources) are saved: see save_related.
        obj.skip_history_when_saving = True
        try:
            super().save_model(request, obj, form, change)
        except StaleEdit as error:
            # Lost the race between the form's check and the save: refuse the same way.
            raise ValidationError(stale_message(obj, error.expected_version)) from error
        if scheduled and obj.publish_at is not None:
            workflow.audit("schedule", obj, request.user, obj.publish_at.isoformat())

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if settings.FOUR_EYES and change and "publish_at" in form.changed_data and form.instance.publish_at:
            edited = set(form.changed_data) - {"publish_at", "based_on_version"}
            if edited or any(formset.has_changed() for formset in formsets):
                # Whoever changes the content becomes its last editor: scheduling it in the same save would put it
                # live with nobody else having seen that version. The admin's transaction undoes the whole save.
                raise ValidationError(
                    _("Save your changes without a publication time: another publisher reviews and schedules them.")
                )
        obj = form.instance
        del obj.skip_history_when_saving
        record_history(obj, user=request.user, created=not change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            pending = workflow.pending_edit(obj) if obj.status == Status.PUBLISHED else None
            if pending is not None:
                context["pending_edit"], context["pending_edit_url"] = pending, self._change_url(pending)
            publishable = workflow.MOVES["publish"].starts_from(obj.status) and workflow.can_publish(request.user)
            refusal = self._four_eyes_refusal(request, obj) if publishable else ""
            context["four_eyes_refusal"] = refusal
            # Each button with the reason it is disabled: Publish, for whom four eyes refuses it, says why before the
            # click. "Start an edit" gives way to the link to the pending edit, where there is one.
            context["workflow_buttons"] = [
                (move.name, move.label, refusal if move.name == "publish" else "")
                for move in admin_moves()
                if move.starts_from(obj.status)
                and self._may(request, move.name)
                and not (move.name == "start_edit" and (obj.draft_of_id is not None or pending is not None))
            ]
            context["workflow_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_workflow", args=[obj.pk, "_"]
            ).removesuffix("_/")
            if obj.draft_of_id is not None:
                context["draft_of_url"] = self._change_url(obj.draft_of)
                # What a publisher reviews before publishing: the edit against what the public sees now.
                context["pending_changes"] = pending_changes(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _four_eyes_refusal(self, request: HttpRequest, obj: ContentModel) -> str:
        """workflow.four_eyes_refusal, read once per request: the form and the page both ask."""
        cache = request.__dict__.setdefault("_four_eyes_refusals", {})
        key = (obj._meta.label, obj.pk, obj.status)
        if key not in cache:
            cache[key] = workflow.four_eyes_refusal(obj, request.user)
        return cache[key]

    def _may(self, request: HttpRequest, name: str) -> bool:
        if workflow.MOVES[name].publisher_only:
            return workflow.can_publish(request.user)
        return self.has_change_permission(request) or workflow.can_publish(request.user)

    # The list's bulk actions, offered only to the roles that may take them.
    def get_actions(self, request):
        actions = super().get_actions(request)
        for move in admin_moves():
            if move.name != "start_edit" and self._may(request, move.name):
                actions[f"workflow_{move.name}"] = (self._bulk_action(move.name), f"workflow_{move.name}", move.label)
        if not workflow.can_publish(request.user):
            actions.pop("delete_selected", None)
        return actions

    def _bulk_action(self, name: str):
        def action(modeladmin, request, queryset):
            done = 0
            for obj in queryset:
                try:
                    modeladmin._run(request, obj, name)
                    done += 1
                except ValidationError as error:
                    modeladmin.message_user(request, f"{obj}: {error_text(error)}", messages.ERROR)
            if done:
                modeladmin.message_user(
                    request,
                    gettext("%(action)s: %(count)d done.") % {"action": workflow.MOVES[name].label, "count": done},
                    messages.SUCCESS,
                )

        return action

    def _run(self, request: HttpRequest, obj: ContentModel, name: str) -> ContentModel:
        if not self._may(request, name):
            raise workflow.NotAllowed(gettext("Only publishers may do this."))
        move = workflow.MOVES[name]
        return move(obj, request.user, **{param: request.POST.get(param, "") for param in move.admin_params})

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/workflow/<str:action>/",
                self.admin_site.admin_view(self.workflow_view),
                name="{}_{}_workflow".format(*info),
            ),
            path(
                "<path:object_id>/history/<int:history_id>/revert/",
                self.admin_site.admin_view(self.revert_view),
                name="{}_{}_revert".format(*info),
            ),
            path(
                "propose-slug/",
                self.admin_site.admin_view(self.propose_slug_view),
                name="{}_{}_propose_slug".format(*info),
            ),
            *super().get_urls(),
        ]

    def propose_slug_view(self, request):
        """The slug the add form would propose for the fields in the query string, for curation/slug.js to show while
        staff fill in the form; the same proposal the form makes when it is saved with the slug left empty."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.get_form(request)(request.GET.dict() | {"slug": ""})
        form.is_valid()
        return JsonResponse({"slug": form.cleaned_data.get("slug", "")})

    def workflow_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.addressed(request, object_id)
        if action not in {move.name for move in admin_moves()} or not self.has_view_permission(request, obj):
            raise PermissionDenied
        existing = workflow.pending_edit(obj) if action == "start_edit" else None
        if existing is not None:
            # Say so, rather than silently opening the edit someone else may be working on.
            link = format_html('<a href="{}">{}</a>', self._change_url(existing), existing.slug)
            already = gettext("An edit of this is already pending: {}. Continue it rather than starting another.")
            self.message_user(request, format_html(already, link), messages.WARNING)
            return HttpResponseRedirect(self._change_url(obj))
        try:
            result = self._run(request, obj, action)
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(self._change_url(obj))
        self.message_user(
            request, gettext("%(action)s: %(object)s") % {"action": workflow.MOVES[action].label, "object": result}
        )
        return HttpResponseRedirect(self._change_url(result))

    def revert_view(self, request, object_id, history_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.addressed(request, object_id)
        record = get_object_or_404(self.model.history.model, pk=history_id, id=obj.pk)
        try:
            workflow.revert(obj, request.user, record=record)
        except workflow.NotAllowed as error:
            raise PermissionDenied(error_text(error)) from error
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            history_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[obj.pk])
            return HttpResponseRedirect(history_url)
        self.message_user(
            request, gettext("Reverted to the version of %(when)s.") % {"when": shown_time(record.history_date)}
        )
        return HttpResponseRedirect(self._change_url(obj))

    def addressed(self, request, object_id: str) -> ContentModel:
        """The object of an admin address, or a 404: as on the admin's own pages, an id that is no number (`abc/`)
        names nothing, rather than failing the database lookup."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj

    def _change_url(self, obj) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    # History: each version with what it changed (curation.diff: fields, links by name, steps), in place of
    # simple-history's field list, and revert for publishers.
    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        records = list(historical_records)
        if not records:
            return
        for record in records:
            record.reason = shown_reason(record.history_change_reason)
        # The oldest version on a page is compared with the one before it, on the next page.
        older_than_page = previous_record(records[-1])
        for newer, older in itertools.pairwise([*records, older_than_page]):
            change = record_diff(older, newer)
            # A version that changed nothing shown here (a check against the sources) lists no table.
            newer.diff = None if change is None or is_empty(change) else change

    def history_view(self, request, object_id, extra_context=None):
        extra_context = {**(extra_context or {}), "may_revert": workflow.can_publish(request.user)}
        return super().history_view(request, object_id, extra_context)

    def revert_disabled(self, request, obj=None):
        # simple-history's own revert re-saves a form; ours (revert_view) restores links and steps too.
        return True


class ChangeNoteInline(GenericTabularInline):
    """Public change notes, written on the content they are about. Only publishers (curation.add_changenote) may
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
    # Only the kinds of content that have notes: the content types of every model would list internal tables.
    list_filter = (("content_type", admin.RelatedOnlyFieldListFilter), "changed_on")
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


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The trail of publishing, archiving, reverting and imports: read-only, for everyone who reviews content."""

    list_display = ("at", "action", "object_repr", "content_type", "user", "details")
    list_filter = ("action", ("content_type", admin.RelatedOnlyFieldListFilter), "user")
    search_fields = ("object_repr", "detail", "user__username")
    date_hierarchy = "at"
    list_select_related = ("content_type", "user")
    fields = ("at", "action", "user", "content_type", "object_id", "object_repr", "details")
    readonly_fields = ("details",)

    @admin.display(description=_("detail"))
    def details(self, entry: AuditEntry) -> str:
        # Stored in English as it was written; read in the staff member's language.
        return shown_detail(entry.detail)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
