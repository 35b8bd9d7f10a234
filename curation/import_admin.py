"""Bulk import and export of content in the admin, added to a content admin as a mixin (django-import-export).

The resources (`<app>/resources.py`) hold the rules; this is the admin's side: CSV and XLSX only, who may import
and export, a preview that shows the refused rows next to what the valid ones would do, and a confirmed import
that stores nothing unless every row passes.
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX


class ContentImportExportMixin(ImportExportMixin):
    formats = [CSV, XLSX]
    import_template_name = "admin/content_import.html"
    # Excel opens a CSV as UTF-8 only when it starts with a byte-order mark; the import accepts both.
    to_encoding = "utf-8-sig"

    def has_import_permission(self, request) -> bool:
        # Importing creates and changes rows: it needs both permissions (editors and publishers have them).
        opts = self.opts
        return super().has_import_permission(request) and request.user.has_perms(
            [f"{opts.app_label}.add_{opts.model_name}", f"{opts.app_label}.change_{opts.model_name}"]
        )

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
