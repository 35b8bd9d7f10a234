"""What the write API shares: the staff representation of content, its validation by the model, and history.

Staff read and write content in one shape: relations by their public identifiers (region code, slugs), the
workflow's state alongside (status, version, pending edit). Whatever a client sends is checked by the model's own
`full_clean()`, so the API refuses exactly what the admin refuses, field by field.
"""

import copy
from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_error_detail
from rest_framework.settings import api_settings

from curation.choices import Status
from curation.history import one_history_record
from curation.models import ContentModel, linkable, linked_identifier
from kb.slugs import LowerCaseSlugField


def django_errors(error: DjangoValidationError) -> dict | list:
    """A model's ValidationError as DRF error detail, keyed by field, with form-wide errors as non_field_errors."""
    detail = get_error_detail(error)
    if isinstance(detail, dict) and NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return detail


# Every list a body may hold has a cap, stated in the schema (maxItems) and checked before any item is looked up:
# links to other content (sources, card types, regions, procedures), lines of text, steps (procedures.models).
MAX_LINKS = 100
MAX_LINES = 30


def at_most(limit: int) -> MaxLengthValidator:
    """The cap of a list field: drf-spectacular states it as maxItems; JsonTypes checks it before any item is
    looked up (a validator passed to the constructor, since DRF rebuilds each field from its arguments)."""
    return MaxLengthValidator(limit, message=too_many_items(limit))


def too_many_items(limit: int) -> str:
    return _("Give at most %(limit)d items.") % {"limit": limit}


def list_cap(field: serializers.Field) -> int | None:
    return next((v.limit_value for v in field.validators if isinstance(v, MaxLengthValidator)), None)


def many_related(child: serializers.RelatedField, **kwargs) -> serializers.ManyRelatedField:
    """What `many=True` builds, with the cap on the list."""
    return serializers.ManyRelatedField(child_relation=child, validators=[at_most(MAX_LINKS)], **kwargs)


def slugs(model: type[ContentModel], *, many: bool = False, **kwargs) -> serializers.Field:
    if many:
        return many_related(slugs(model), **kwargs)
    return serializers.SlugRelatedField(slug_field="slug", queryset=linkable(model), **kwargs)


@extend_schema_field({"type": "array", "items": {"type": "string"}, "maxItems": MAX_LINES})
class LinesField(serializers.Field):
    """A text field of one item per line (a procedure's requirements), read and written as a list of strings."""

    max_items = MAX_LINES

    def to_representation(self, value: str) -> list[str]:
        return [line.strip() for line in value.splitlines() if line.strip()]

    def to_internal_value(self, data) -> str:
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            raise serializers.ValidationError(_("Give a list of strings."))
        if len(data) > self.max_items:
            raise serializers.ValidationError(too_many_items(self.max_items))
        if any("\x00" in item for item in data):
            raise serializers.ValidationError(ProhibitNullCharactersValidator.message)
        if any("\n" in item for item in data):
            raise serializers.ValidationError(_("One item per string; an item cannot hold a line break."))
        return "\n".join(item.strip() for item in data if item.strip())


class JsonTypes(serializers.Serializer):
    """Takes only the JSON types the schema promises. DRF would turn a number into a string, "5" or 5.0 into an
    integer and "yes" or 1 into true; a client that sends them has a bug, and storing its guess would hide it."""

    def to_internal_value(self, data):
        errors = {}
        if isinstance(data, Mapping):
            for field in self.fields.values():
                error = None if field.read_only else refused_value_error(field, data.get(field.field_name))
                if error is not None:
                    errors[field.field_name] = [error]
            # The other fields are checked without these: looking up a refused value could fail in the database.
            data = {name: value for name, value in data.items() if name not in errors}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as invalid:
            if not errors or not isinstance(invalid.detail, dict):
                raise
            # Every field's error in one answer; for a field of the wrong type, that is what the client must mend.
            raise serializers.ValidationError(invalid.detail | errors) from invalid
        if errors:
            raise serializers.ValidationError(errors)
        return value


def refused_value_error(field: serializers.Field, value) -> str | None:
    """DRF's own (translated) message for a value of the wrong JSON type, or for a slug holding a NUL character,
    which DRF checks in text fields but not in the slugs it looks up (and PostgreSQL cannot compare); None if the
    value fits, or is absent or null, which the field's own rules judge."""
    if value is None:
        return None
    if isinstance(field, serializers.CharField | serializers.SlugRelatedField) and not isinstance(value, str):
        return serializers.CharField.default_error_messages["invalid"]
    if isinstance(field, serializers.SlugRelatedField) and "\x00" in value:
        return ProhibitNullCharactersValidator.message
    if isinstance(field, serializers.IntegerField) and (not isinstance(value, int) or isinstance(value, bool)):
        return serializers.IntegerField.default_error_messages["invalid"]
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        return serializers.BooleanField.default_error_messages["invalid"]
    if isinstance(field, serializers.ListSerializer) and isinstance(value, list):
        limit = list_cap(field)
        # Before each item is validated (DRF's own max_length would name the list's non_field_errors instead).
        return too_many_items(limit) if limit is not None and len(value) > limit else None
    if isinstance(field, serializers.ManyRelatedField):
        # DRF would take any iterable, and look up the keys of an object as if they were the list.
        if not isinstance(value, list):
            return field.error_messages["not_a_list"].format(input_type=type(value).__name__)
        limit = list_cap(field)
        if limit is not None and len(value) > limit:
            # Before each item is looked up in the database.
            return too_many_items(limit)
        return next(filter(None, (refused_value_error(field.child_relation, item) for item in value)), None)
    return None


class StaffContentSerializer(JsonTypes, serializers.ModelSerializer):
    """The staff representation of one kind of content; writable fields are what the model says, minus the
    workflow's own, which only the workflow's actions move."""

    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    version = serializers.IntegerField(
        read_only=True, help_text="Moves on with every save. Send the ETag of the version you edited as If-Match."
    )
    draft_of = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="For a pending edit: the published original it will replace.",
    )
    pending_edit = serializers.SerializerMethodField(help_text="For published content: the slug of its pending edit.")
    replaced_by = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    verified_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    workflow_fields = [
        "status", "version", "draft_of", "pending_edit", "replaced_by", "publish_at", "verified_at", "verified_by",
        "created_at", "updated_at",
    ]  # fmt: skip
    # Rows the object owns that are written with it (a procedure's steps): name → how to snapshot them.
    owned_fields: tuple[str, ...] = ()

    class Meta:
        read_only_fields = ["publish_at", "verified_at", "created_at", "updated_at"]

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, LowerCaseSlugField):
            # DRF's SlugField would add its own pattern and message beside the model's one (kb.slugs).
            kwargs.pop("allow_unicode", None)
            field_class = serializers.CharField
        return field_class, kwargs

    def validate_slug(self, value: str) -> str:
        # The slug is the content's address: chosen once, at creation.
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError(_("The slug cannot change; create new content instead."))
        return value

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_pending_edit(self, obj: ContentModel) -> str | None:
        if obj.status != Status.PUBLISHED:
            return None
        if hasattr(obj, "pending_edit_slug"):
            return obj.pending_edit_slug
        return type(obj)._base_manager.filter(draft_of=obj).values_list("slug", flat=True).first()

    def link_names(self) -> set[str]:
        return {field.name for field in self.Meta.model._meta.many_to_many}

    def validate(self, attrs: dict) -> dict:
        """The model's own rules, on the object as it would be saved (for PATCH: the stored row with the change)."""
        model = self.Meta.model
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            if name not in self.link_names() and name not in self.owned_fields:
                setattr(candidate, name, value)
        try:
            candidate.full_clean(exclude=sorted(self.link_names()))
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_errors(error)) from error
        return attrs

    def create(self, validated_data: dict) -> ContentModel:
        return self.save_content(self.Meta.model(), validated_data, "created through the API")

    def update(self, instance: ContentModel, validated_data: dict) -> ContentModel:
        return self.save_content(instance, validated_data, "changed through the API")

    @transaction.atomic
    def save_content(self, instance: ContentModel, data: dict, reason: str) -> ContentModel:
        snapshot = self.related_snapshot(data)
        if instance.pk is not None and not self.changes(instance, data, snapshot):
            # Nothing to save (a body of read-only fields only, or the content as it is): no new version and no empty
            # history entry, so a client's retry or a sync that re-sends what it read leaves no trace.
            return instance
        for name, value in data.items():
            if name not in snapshot:
                setattr(instance, name, value)
        user = self.context["request"].user
        # Token authentication sets the user inside the view only: the history middleware cannot see it.
        instance._history_user = user
        instance._change_reason = reason
        # One historical record, with the links: a revert to it must restore them too.
        with one_history_record(instance):
            instance.save()
            if snapshot:
                instance.restore_related_snapshot(snapshot)
        return instance

    @staticmethod
    def changes(instance: ContentModel, data: dict, snapshot: dict[str, list]) -> bool:
        if any(getattr(instance, name) != value for name, value in data.items() if name not in snapshot):
            return True
        if not snapshot:
            return False
        stored = instance.history_related_snapshot()
        links = {field.name for field in instance._meta.many_to_many}
        # Links are a set (stored sorted); owned rows such as steps are in order.
        return any((sorted(rows) if name in links else rows) != stored.get(name) for name, rows in snapshot.items())

    def related_snapshot(self, data: dict) -> dict[str, list]:
        """Links and owned rows from the request, in the shape `restore_related_snapshot` takes."""
        snapshot: dict[str, list] = {}
        model = self.Meta.model
        for name in self.link_names() & data.keys():
            key = linked_identifier(model._meta.get_field(name).related_model)
            snapshot[name] = [str(getattr(obj, key)) for obj in data[name]]
        for name in self.owned_fields:
            if name in data:
                snapshot[name] = [{**row, "position": position} for position, row in enumerate(data[name], start=1)]
        return snapshot


# Bodies of the workflow's actions.


class EmptySerializer(JsonTypes):
    """No body is needed; an empty JSON object is accepted."""


class ReturnSerializer(JsonTypes):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, help_text="Why, for the log.")


class PublishSerializer(JsonTypes):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=280,
        help_text="A public change note, shown with the content (e.g. what changed for people).",
    )


class ScheduleSerializer(JsonTypes):
    publish_at = serializers.DateTimeField(help_text="When it goes live; ISO 8601, in the future.")


class ArchiveSerializer(JsonTypes):
    replaced_by = serializers.SlugField(
        required=False, allow_null=True, help_text="Slug of the published content of the same kind that replaces it."
    )


class RevertSerializer(JsonTypes):
    history_id = serializers.IntegerField(min_value=1, help_text="The `history_id` of a version in its history.")


class SegmentSerializer(serializers.Serializer):
    op = serializers.ChoiceField(
        choices=["equal", "delete", "insert"],
        help_text="equal: on both sides; delete: only in the old text; insert: only in the new one.",
    )
    text = serializers.CharField()


class TextChangeSerializer(serializers.Serializer):
    old = serializers.CharField(allow_null=True, help_text="The whole old text; null where there was none.")
    new = serializers.CharField(allow_null=True, help_text="The whole new text; null where there is none.")
    segments = SegmentSerializer(
        many=True,
        help_text="Both texts in order, cut where they differ (Chinese by character, Latin by word): the old text is "
        "the equal and delete segments, the new one the equal and insert segments.",
    )


class FieldChangeSerializer(TextChangeSerializer):
    field = serializers.CharField()
    label = serializers.CharField(help_text="The field's name, in the language of the request.")


class LinkedRowSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The slug (a region's code).")
    name = serializers.CharField()


class LinkChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    kept = LinkedRowSerializer(many=True)
    removed = LinkedRowSerializer(many=True)
    added = LinkedRowSerializer(many=True)


class StepChangeSerializer(serializers.Serializer):
    change = serializers.ChoiceField(choices=["added", "removed", "moved", "changed"])
    old_position = serializers.IntegerField(allow_null=True, help_text="Null for an added step.")
    new_position = serializers.IntegerField(allow_null=True, help_text="Null for a removed step.")
    instruction = TextChangeSerializer()
    ui_path = TextChangeSerializer()
    channel = TextChangeSerializer(
        help_text="The channel the step is done at, by name, where it is not the procedure's own (empty where it is)."
    )


class RowChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Which rows: `availability` (a card type's, one per region).")
    label = serializers.CharField(help_text="What the rows are, in the language of the request.")
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    key = LinkedRowSerializer(help_text="What names the row: for availability, the region (its code and name).")
    values = FieldChangeSerializer(
        many=True,
        help_text="The row's other columns that hold something on either side, each with both values (null on the "
        "side where the row is not); a linked row (a source) by its name.",
    )


class VersionDiffSerializer(serializers.Serializer):
    fields = FieldChangeSerializer(many=True, help_text="Fields (and the status) that changed, with both values.")
    links = LinkChangeSerializer(many=True, help_text="Links that changed: sources, card types, regions, procedures.")
    steps = StepChangeSerializer(
        many=True,
        help_text="A procedure's steps that were added, removed, moved or changed; steps that only shifted are left "
        "out.",
    )
    rows = RowChangeSerializer(
        many=True,
        help_text="Owned rows named by a key that were added, removed or changed: a card type's availability, by "
        "region.",
    )


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField(help_text="Names this version for a revert.")
    version = serializers.IntegerField()
    date = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True, help_text="The staff user's username; null for the scheduler.")
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(allow_null=True)
    changed_fields = serializers.ListField(
        child=serializers.CharField(), help_text="What this save changed: fields, links and steps."
    )
    diff = VersionDiffSerializer(help_text="What this version changed against the one before; empty for the first.")


# History: what changed, by whom, when.
