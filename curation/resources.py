"""What every content import and export shares (django-import-export): public identifiers instead of database ids,
model validation of every row, and the review workflow.

A row is matched to existing content by its slug. A new slug creates a draft. A matching draft is updated in place.
Published content is never changed by an import: the row goes to the object's pending edit (made with
`workflow.start_edit` if there is none yet). Content in review may only be changed by a publisher; archived content
not at all. A row that would change nothing is reported as skipped, whatever the content's status, so exporting and
importing the same file changes nothing. The whole file is one transaction: one refused row and nothing is stored.

An import costs a fixed number of queries for its new and unchanged rows, whatever their number: the rows the file
names (content by slug, regions by code, linked rows by slug, current links and steps) are read once per file; each
row is validated by the model (`full_clean`) in memory; new rows are written with one insert per table (content,
links, steps, history) and the content revision moves on once. Uniqueness and check constraints of new rows are left
to the database's own enforcement of that insert; if it refuses, each new row is checked by the model's
`validate_unique` and `validate_constraints`, and the rows they refuse are shown with the model's messages.
Rows that change existing content are saved one by one, as the admin saves them (versions, pending edits).

Spreadsheet programs run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula
(`=HYPERLINK(...)`, `=cmd|...`), so an export writes such text with an apostrophe in front, and the import takes it
off again; text that arrives in a file looking like a formula is imported as text and named in the preview.
"""

import copy
import datetime
import re
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from . import workflow
from .choices import AuditAction, Status
from .events import changed
from .history import one_history_record, record_created_in_bulk
from .models import ContentModel, linkable, linked_identifier, linked_rows

LIST_SEPARATORS = re.compile(r"[;,]")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralised(value: object) -> object:
    """Text as an export writes it, so that no spreadsheet program evaluates it.

    django-import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only strips a leading `=` (not `+`, `-`, `@`,
    tab or carriage return), so an exported file would no longer import as what was stored. An apostrophe in front
    is what spreadsheet programs read as "this is text", and `restored` takes it off on import. Text that already
    starts with apostrophes before such a character gets one more, so that the import gives back exactly what was
    stored, apostrophes and all.
    """
    if isinstance(value, str) and value.lstrip(NEUTRALISER).startswith(FORMULA_STARTS):
        return NEUTRALISER + value
    return value


def restored(value: object) -> object:
    """The stored text of a cell an export neutralised (the inverse of `neutralised`)."""
    if isinstance(value, str) and value.startswith(NEUTRALISER) and looks_like_formula(value.lstrip(NEUTRALISER)):
        return value[1:]
    return value


class CodeOrSlugWidget(widgets.ForeignKeyWidget):
    """A foreign key written as the related row's public identifier (a region's code, any other row's slug); an
    unknown identifier is a reason to refuse the row, not an error page."""

    prefetched: dict[str, models.Model] | None = None

    def identifier(self, value) -> str | None:
        if value is None or str(value).strip() == "":
            return None
        if self.field == "code" and isinstance(value, int | float):
            # A spreadsheet may have turned 420100 into a number, and 000000 into 0.
            value = str(int(value)).zfill(6)
        return str(value).strip()

    def prefetch(self, values: Iterable) -> None:
        """Reads every row a column names at once; `clean` then looks them up without a query."""
        wanted = {key for key in map(self.identifier, values) if key is not None}
        self.prefetched = {key: None for key in wanted} | linked_rows(self.model, wanted)

    def clean(self, value, row=None, **kwargs):
        value = self.identifier(value)
        if value is None:
            return None
        try:
            if self.prefetched is not None and value in self.prefetched:
                if self.prefetched[value] is None:
                    raise self.model.DoesNotExist
                return self.prefetched[value]
            return linkable(self.model).get(**{self.field: value})
        except self.model.DoesNotExist:
            if self.field == "code":
                message = _("No region has the code “%(value)s”.")
            else:
                message = _("No %(model)s has the slug “%(value)s”.")
            raise ValueError(message % {"model": self.model._meta.verbose_name, "value": value}) from None


class SlugListWidget(widgets.Widget):
    """Several related rows by their slugs, separated by `;` or `,`. Exported sorted, joined by `;`."""

    def __init__(self, model: type[models.Model], **kwargs):
        self.model = model
        super().__init__(**kwargs)

    prefetched: dict[str, models.Model] | None = None

    @staticmethod
    def slugs(value) -> list[str]:
        return sorted({part.strip() for part in LIST_SEPARATORS.split(str(value or "")) if part.strip()})

    def prefetch(self, values: Iterable) -> None:
        wanted = {slug for value in values for slug in self.slugs(value)}
        self.prefetched = linked_rows(self.model, wanted)

    def clean(self, value, row=None, **kwargs) -> list[models.Model]:
        slugs = self.slugs(value)
        if self.prefetched is not None:
            found = {slug: self.prefetched[slug] for slug in slugs if slug in self.prefetched}
        else:
            found = linked_rows(self.model, slugs)
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            raise ValueError(
                _("No %(model)s has the slug %(slugs)s.")
                % {"model": self.model._meta.verbose_name, "slugs": ", ".join(f"“{slug}”" for slug in missing)}
            )
        return [found[slug] for slug in slugs]

    def render(self, value, obj=None, **kwargs) -> str:
        return ";".join(value or [])


class LinksField(fields.Field):
    """A many-to-many relation in one column. The cleaned rows wait on the instance until it is saved (it may have
    no primary key yet); `get_value` reads them from there, so previews and comparisons see what will be stored."""

    def save(self, instance, row, is_m2m=False, **kwargs) -> None:
        pending_links(instance)[self.attribute] = self.clean(row, **kwargs)

    def get_value(self, instance) -> list[str]:
        pending = pending_links(instance).get(self.attribute)
        if pending is not None:
            return sorted(obj.slug for obj in pending)
        if instance.pk is None:
            return []
        current = instance.__dict__.get("_import_current_links", {}).get(self.attribute)
        if current is not None:
            return current
        return sorted(getattr(instance, self.attribute).values_list("slug", flat=True))


class OwnedRowsField(fields.Field):
    """Rows an object owns (a procedure's steps, a card type's availability) in one column, replaced as a whole.
    `save` checks the cell and leaves the rows, as the history records them, on the instance under
    `_import_<attribute>` until the object is saved; `get_value` reads them from there, else from what the
    resource's `prefetch_current` left under `_import_current_<attribute>`, else from `stored_rows`."""

    def get_value(self, instance) -> list[dict]:
        pending = instance.__dict__.get(f"_import_{self.attribute}")
        if pending is not None:
            return pending
        if instance.pk is None:
            return []
        current = instance.__dict__.get(f"_import_current_{self.attribute}")
        if current is not None:
            return current
        return self.stored_rows(instance)

    def stored_rows(self, instance) -> list[dict]:
        """The rows the saved instance owns, as the column shows them."""
        raise NotImplementedError


def validation_messages(error: ValidationError) -> Iterable[str]:
    """Every message of a model's full_clean, field after field."""
    return (message for messages in error.message_dict.values() for message in messages)


class DateWidget(widgets.DateWidget):
    """Spreadsheets hand dates back as midnight datetimes; the model and the comparison want dates."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, str):
            value = value.strip()
        return super().clean(value, row, **kwargs)


def pending_links(instance) -> dict[str, list]:
    if "_import_links" not in instance.__dict__:
        instance._import_links = {}
    return instance._import_links


class ContentResource(resources.ModelResource):
    """Base of the content resources. Subclasses list their fields in Meta and declare `sources`."""

    status = fields.Field(attribute="status", column_name="status", readonly=True)

    class Meta:
        import_id_fields = ("slug",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True
        # No savepoint per row (two queries each): new rows are stored together at the end (`_store_new`), and
        # rows that change existing content are saved in a savepoint of their own (`save_instance`).
        use_bulk = True

    # -- the whole file at once --------------------------------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        # One refused row refuses the file: no partial import.
        kwargs["rollback_on_validation_errors"] = True
        self._dry_run = dry_run
        self._pending_edits = 0
        self._rows_by_slug: dict[str, list[int]] = {}
        self._formula_cells: list[tuple[int, str]] = []
        self._existing: dict[str, ContentModel] = {}
        self._new: list[tuple[ContentModel, dict, int]] = []
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs)

    def before_import(self, dataset, **kwargs) -> None:
        super().before_import(dataset, **kwargs)
        headers = dataset.headers or []
        if "slug" in headers:
            for number, slug in enumerate(dataset["slug"], 1):
                self._rows_by_slug.setdefault(str(slug or "").strip(), []).append(number)
        for field in self.get_import_fields():
            if field.column_name in headers and hasattr(field.widget, "prefetch"):
                # Restored as the rows will be (before_import_row), so that the lookups find what the rows name.
                field.widget.prefetch(restored(value) for value in dataset[field.column_name])
        model = self._meta.model
        # With the related rows the preview's diff shows (a region's code, a channel's slug).
        related = [field.attribute for field in self.get_import_fields() if isinstance(field.widget, CodeOrSlugWidget)]
        existing = list(
            model._base_manager.select_related(*related).filter(slug__in=[slug for slug in self._rows_by_slug if slug])
        )
        self._existing = {obj.slug: obj for obj in existing}
        if existing:
            self.prefetch_current(existing)

    def prefetch_current(self, objects: list[ContentModel]) -> None:
        """What the rows are compared with: the stored links of the existing objects, one query per relation.
        Subclasses add the rows an object owns (a procedure's steps)."""
        by_pk = {obj.pk: obj for obj in objects}
        for field in self.get_import_fields():
            if not isinstance(field, LinksField):
                continue
            relation = self._meta.model._meta.get_field(field.attribute)
            through = relation.remote_field.through
            owner, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
            for obj in objects:
                obj.__dict__.setdefault("_import_current_links", {})[field.attribute] = []
            pairs = through.objects.filter(**{f"{owner}__in": by_pk}).values_list(f"{owner}_id", f"{target}__slug")
            for pk, slug in pairs.order_by(f"{target}__slug"):
                by_pk[pk].__dict__["_import_current_links"][field.attribute].append(slug)

    def stored(self, instance: ContentModel) -> ContentModel:
        """The object as it stands in the database (read with the file's other rows when it could be)."""
        found = self._existing.get(instance.slug)
        if found is not None and found.pk == instance.pk:
            return found
        return type(instance)._base_manager.get(pk=instance.pk)

    def after_import(self, dataset, result, **kwargs) -> None:
        if self._new and not result.has_errors():
            self._store_new(result, **kwargs)
        super().after_import(dataset, result, **kwargs)
        # Shown on the preview (admin/content_import.html): row number and column of each cell.
        result.formula_cells = self._formula_cells
        if self._dry_run or result.has_errors() or result.has_validation_errors():
            return
        totals = result.totals
        # Stored, like the workflow's other audit details, in English: it is a record, not a label.
        detail = (
            f"{kwargs.get('file_name') or '-'} ({self._meta.model._meta.model_name}): {totals['new']} created, "
            f"{totals['update']} updated ({self._pending_edits} of them pending edits of published content), "
            f"{totals['skip']} unchanged"
        )
        entry = workflow.audit(AuditAction.IMPORT, None, kwargs.get("user"), detail)
        # Names the kind of content imported, so the audit log can be filtered by it.
        entry.content_type = ContentType.objects.get_for_model(self._meta.model)
        entry.save(update_fields=["content_type"])

    # -- one row -----------------------------------------------------------------------------------------------

    def before_import_row(self, row, **kwargs) -> None:
        super().before_import_row(row, **kwargs)
        for key, value in row.items():
            if value is None:
                # A spreadsheet's empty cell reads as None; a text column means "empty", as in a CSV.
                row[key] = ""
            elif looks_like_formula(value):
                # Imported as the text it is; the preview names it, since nobody exports such a cell from here.
                self._formula_cells.append((kwargs.get("row_number") or 0, str(key)))
            else:
                row[key] = restored(value)

    def get_instance(self, instance_loader, row):
        slug = str(row.get("slug") or "").strip()
        if not slug or slug not in self._existing:
            return None
        # A copy: the row is applied to it, and the original stays what the database holds.
        return copy.deepcopy(self._existing[slug])

    def import_field(self, field, instance, row, is_m2m=False, **kwargs) -> None:
        # The slug found the row; a pending edit keeps its own slug (`<slug>-edit`).
        if field.attribute == "slug" and instance.pk is not None:
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def import_instance(self, instance: ContentModel, row, **kwargs) -> None:
        errors = self._apply_row(instance, row, **kwargs)
        if not errors and instance.pk is not None and instance.status != Status.DRAFT:
            stored = self.stored(instance)
            if self._differs(instance, stored, row):
                errors = self._redirect(instance, stored, row, **kwargs)
        if errors:
            raise ValidationError(errors)

    def _apply_row(self, instance, row, **kwargs) -> dict:
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        slug = str(row.get("slug") or "").strip()
        rows = self._rows_by_slug.get(slug, [])
        if slug and len(rows) > 1:
            errors.setdefault("slug", []).append(
                _("The slug “%(slug)s” appears in rows %(rows)s of the file; each object may appear only once.")
                % {"slug": slug, "rows": ", ".join(map(str, rows))}
            )
        if "sources" not in errors and not self.fields["sources"].get_value(instance):
            errors["sources"] = [_("Cite at least one source: every fact needs its evidence.")]
        return errors

    def _redirect(self, instance, stored, row, **kwargs) -> dict:
        """The row changes content that is not a draft: send it to the pending edit, or refuse it."""
        user = kwargs.get("user")
        if stored.status == Status.PUBLISHED:
            copy = workflow.start_edit(stored, user)
            if copy.slug in self._rows_by_slug:
                # Both rows would write the same pending edit, and the later one would silently win.
                return {
                    "slug": [
                        _("The file also has a row for this content's pending edit “%(slug)s”; keep only one of them.")
                        % {"slug": copy.slug}
                    ]
                }
            if not workflow.can_edit(copy, user):
                return {
                    "status": [_("The pending edit of this published content is in review; return it to draft first.")]
                }
            # The row goes on in the admin's hands as this instance: make it the pending edit.
            instance.__dict__.clear()
            instance.__dict__.update(copy.__dict__)
            return self._apply_row(instance, row, **kwargs)
        if stored.status == Status.IN_REVIEW:
            if workflow.can_publish(user):
                return {}
            return {"status": [_("This content is in review; return it to draft before importing changes to it.")]}
        return {"status": [_("Archived content cannot be changed by an import.")]}

    def _differs(self, instance, stored, row) -> bool:
        for field in self.get_import_fields():
            if field.readonly or field.attribute == "slug" or field.column_name not in row:
                continue
            if field.get_value(instance) != field.get_value(stored):
                return True
        return False

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        if import_validation_errors or instance.pk is None:
            return False
        return not self._differs(instance, self.stored(instance), row)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True) -> None:
        errors = dict(import_validation_errors or {})
        # Foreign keys the file named were read from the database with the file's other rows, in this transaction:
        # only their emptiness is checked here (ForeignKey.validate would ask the database again, once per row).
        resolved = {
            field.attribute
            for field in self.get_import_fields()
            if isinstance(field.widget, CodeOrSlugWidget) and field.attribute not in errors
        }
        try:
            instance.full_clean(exclude=[*errors, *resolved], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for name in resolved - errors.keys():
            model_field = instance._meta.get_field(name)
            try:
                models.Field.validate(model_field, getattr(instance, model_field.attname), instance)
            except ValidationError as error:
                errors[name] = error.messages
        if instance.pk is not None and not errors:
            # Changes to existing content are checked in full, as the admin checks them; a new row's uniqueness and
            # constraints are checked by the database when the new rows are inserted together (_store_new).
            try:
                instance.validate_unique()
                instance.validate_constraints()
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs) -> None:
        user = kwargs.get("user")
        instance._history_user = user if user is not None and user.is_authenticated else None
        instance._change_reason = f"imported from {kwargs.get('file_name') or 'a file'}"[:100]

    def save_instance(self, instance, is_create, row, **kwargs) -> None:
        self.before_save_instance(instance, row, **kwargs)
        if is_create:
            self._new.append((instance, row, kwargs["row_number"]))
            return
        # In a savepoint: a row the database refuses is that row's error, and the file's transaction goes on.
        # Recorded in history once, when its links and steps (after_save_instance) are in place too.
        with transaction.atomic(), one_history_record(instance):
            instance.save()
            self.after_save_instance(instance, row, **kwargs)

    def _store_new(self, result, **kwargs) -> None:
        """Inserts the new rows together: content, links, owned rows and history, one insert per table."""
        model = self._meta.model
        instances = [instance for instance, _, _ in self._new]
        try:
            with transaction.atomic():
                model._base_manager.bulk_create(instances)
                for field in self.get_import_fields():
                    if isinstance(field, LinksField):
                        self._link_in_bulk(field.attribute, instances)
                self.save_owned_rows_in_bulk(instances)
                record_created_in_bulk(instances, [self.snapshot(instance) for instance in instances])
        except IntegrityError as error:
            for instance in instances:
                instance.pk, instance._state.adding = None, True
            self._refuse_new_rows(result, error)
            return
        # New rows are drafts: nothing the public sees.
        changed([])
        for instance, _row, number in self._new:
            result.rows[number - 1].object_id = instance.pk

    def _refuse_new_rows(self, result, error: IntegrityError) -> None:
        """The database refused the new rows: the model says which ones, and why."""
        from import_export.results import RowResult

        refused = 0
        for instance, row, number in self._new:
            try:
                instance.validate_unique()
                instance.validate_constraints()
            except ValidationError as reasons:
                row_result = result.rows[number - 1]
                row_result.import_type = RowResult.IMPORT_TYPE_INVALID
                row_result.validation_error = reasons
                result.totals[RowResult.IMPORT_TYPE_NEW] -= 1
                result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
                result.append_invalid_row(number, row, reasons)
                refused += 1
        if not refused:
            # Someone else wrote a clashing row between the checks and the insert: the import is refused whole.
            raise error

    def _link_in_bulk(self, attribute: str, instances: list[ContentModel]) -> None:
        relation = self._meta.model._meta.get_field(attribute)
        through = relation.remote_field.through
        owner, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        through.objects.bulk_create(
            through(**{f"{owner}_id": instance.pk, f"{target}_id": linked.pk})
            for instance in instances
            for linked in pending_links(instance).get(attribute, [])
        )

    def snapshot(self, instance: ContentModel) -> dict[str, list]:
        """The new object's links as its history records them (`history_related_snapshot`), from the file."""
        links = pending_links(instance)
        return {
            field.name: sorted(str(getattr(obj, linked_identifier(field.related_model))) for obj in links[field.name])
            for field in instance._meta.many_to_many
            if field.name in links
        } | {field.name: [] for field in instance._meta.many_to_many if field.name not in links}

    def save_owned_rows_in_bulk(self, instances: list[ContentModel]) -> None:
        """Hook for the rows new objects own (procedures' steps), inserted together."""

    def after_save_instance(self, instance, row, **kwargs) -> None:
        for name, rows in pending_links(instance).items():
            getattr(instance, name).set(rows)
        self.save_owned_rows(instance)
        if instance.draft_of_id is not None:
            self._pending_edits += 1

    def save_owned_rows(self, instance) -> None:
        """Hook for rows the object owns (a procedure's steps), written after the object itself."""

    def export_field(self, field, instance, **kwargs):
        return neutralised(super().export_field(field, instance, **kwargs))

    def get_user_visible_fields(self):
        # The list of importable columns on the import page leaves out what the import ignores.
        return [field for field in super().get_user_visible_fields() if not field.readonly]
