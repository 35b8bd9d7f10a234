"""Bulk import and export of content in the admin, added to a content admin as a mixin (django-import-export).

The resources (`<app>/resources.py`) hold the rules; this is the admin's side: CSV and XLSX only, who may import
and export, how large a file may be, a preview that shows the refused rows next to what the valid ones would do,
and a confirmed import that stores nothing unless every row passes.

A file is refused with a message on the form before it is parsed when it is larger than `IMPORT_MAX_BYTES`, when
an XLSX file (a zip archive) would unpack to more than `IMPORT_MAX_UNZIPPED_BYTES`, or as soon as reading it meets
row `IMPORT_MAX_ROWS` + 1: a worker never spends minutes on a file it would refuse anyway.
"""

import csv
import io
import zipfile

import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm, SelectableFieldsExportForm
from import_export.tmp_storages import TempFolderStorage


class FileRefused(ValueError):
    """A file the import will not read; the message is for the person who uploaded it."""


def add_row(dataset: tablib.Dataset, values: list, fill) -> None:
    """One more row of data, padded to the header's width with `fill`; refused past the row limit."""
    if len(dataset) == settings.IMPORT_MAX_ROWS:
        raise FileRefused(
            _("The file has more than %(limit)d rows; import at most %(limit)d rows at a time (split the file).")
            % {"limit": settings.IMPORT_MAX_ROWS}
        )
    dataset.append(values + [fill] * (dataset.width - len(values)))


class LimitedCSV(CSV):
    """CSV, read row by row up to the row limit (tablib would read the whole file first)."""

    def create_dataset(self, in_stream, **kwargs) -> tablib.Dataset:
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        # As tablib reads a CSV: the first row names the columns, blank lines are left out, short rows padded.
        dataset = tablib.Dataset()
        for number, row in enumerate(csv.reader(io.StringIO(in_stream))):
            if number == 0:
                dataset.headers = row
            elif row:
                add_row(dataset, row, "")
        return dataset


class LimitedXLSX(XLSX):
    """XLSX, checked as an archive before openpyxl opens it, and read row by row up to the row limit."""

    def create_dataset(self, in_stream) -> tablib.Dataset:
        import openpyxl

        try:
            with zipfile.ZipFile(io.BytesIO(in_stream)) as archive:
                # The sizes the archive declares; zipfile refuses to unpack a member past its declared size, so a
                # lying archive fails to read instead of growing.
                unpacked = sum(member.file_size for member in archive.infolist())
        except zipfile.BadZipFile:
            raise FileRefused(_("This is not an XLSX file; save it again as XLSX or CSV.")) from None
        if unpacked > settings.IMPORT_MAX_UNZIPPED_BYTES:
            raise FileRefused(
                _("The XLSX file unpacks to %(size)s; the import takes files that unpack to at most %(limit)s.")
                % {"size": filesizeformat(unpacked), "limit": filesizeformat(settings.IMPORT_MAX_UNZIPPED_BYTES)}
            )
        # Formulas are read as their text (data_only=False): a formula cell is then named in the preview, where
        # openpyxl's cached value would have turned it into an empty cell or a value nobody typed.
        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=False)
        try:
            rows = book.active.iter_rows(values_only=True)
            dataset = tablib.Dataset()
            dataset.headers = list(next(rows, []))
            for values in rows:
                if all(value is None for value in values):
                    # Formatting alone makes a row exist in the sheet; it holds nothing to import.
                    continue
                add_row(dataset, list(values), None)
            return dataset
        finally:
            book.close()


class ExactTempStorage(TempFolderStorage):
    """The uploaded file between preview and confirmation, read back as it was written: in text mode Python would
    turn a carriage return inside a cell (a note typed in a browser has them) into a line feed, and the exported
    file would no longer import as a no-op."""

    def _open(self, mode="r"):
        if self.name and "b" not in mode:
            return open(self.get_full_path(), mode, encoding=self.encoding, newline="")
        return super()._open(mode)


class ContentImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the import takes files of at most %(limit)s. Split it into smaller files.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.IMPORT_MAX_BYTES)}
            )
        return upload


def column_label(resource, field_name: str) -> str:
    """What a column holds, in the staff member's language: the label of the model field it reads (the column's
    name stays the file's header)."""
    attribute = resource.fields[field_name].attribute or field_name
    try:
        field = resource._meta.model._meta.get_field(attribute)
    except FieldDoesNotExist:
        return field_name
    # A reverse relation (a procedure's steps) has no label of its own: its rows' name is the label.
    label = field.related_model._meta.verbose_name_plural if field.auto_created else field.verbose_name
    return capfirst(label)


class ContentExportForm(SelectableFieldsExportForm):
    """The export form: column checkboxes labelled by what each column holds rather than by its header, starting on
    the first format (CSV) rather than on an empty choice that only refuses the form, with its "Select all" box wired
    by a script of this site (the policy refuses inline handlers)."""

    def __init__(self, formats, resources, **kwargs) -> None:
        super().__init__(formats, resources, **kwargs)
        self.fields["format"].choices = [choice for choice in self.fields["format"].choices if choice[0] != ""]

    @property
    def media(self) -> forms.Media:
        return super().media + forms.Media(js=["curation/export_fields.js"])

    def _get_field_label(self, resource, field_name: str) -> str:
        return column_label(resource, field_name)


class ContentImportExportMixin(ImportExportMixin):
    formats = [LimitedCSV, LimitedXLSX]
    import_form_class = ContentImportForm
    tmp_storage_class = ExactTempStorage
    import_template_name = "admin/content_import.html"
    export_form_class = ContentExportForm
    export_template_name = "admin/content_export.html"
    # Excel opens a CSV as UTF-8 only when it starts with a byte-order mark; the import accepts both.
    to_encoding = "utf-8-sig"

    def has_import_permission(self, request) -> bool:
        # Importing creates and changes rows: it needs both permissions (editors and publishers have them).
        opts = self.opts
        return super().has_import_permission(request) and request.user.has_perms(
            [f"{opts.app_label}.add_{opts.model_name}", f"{opts.app_label}.change_{opts.model_name}"]
        )

    def get_import_context_data(self, **kwargs) -> dict:
        return super().get_import_context_data(**kwargs) | {
            "import_max_bytes": settings.IMPORT_MAX_BYTES,
            "import_max_rows": settings.IMPORT_MAX_ROWS,
        }

    def add_data_read_fail_error_to_form(self, form, e) -> None:
        if isinstance(e, FileRefused):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Rows that passed the preview can fail now if someone changed the content since; the import was
            # rolled back as a whole.
            messages.error(
                request, _("Nothing was imported: some rows were refused. Upload the file again to see why.")
            )
            info = self.get_model_info()
            return HttpResponseRedirect(reverse(f"admin:{info[0]}_{info[1]}_import", current_app=self.admin_site.name))
        return super().process_result(result, request)
