"""The import benchmark: a file of 2,000 default-password rules through the admin's import, as a staff member
drives it (upload and preview, then confirm), timed in-process on the benchmark's database.

The rows are new rules for the provinces and prefectures, one for each of 2,000 slugs marked `bench-import-`, citing
the benchmark's source; they are deleted after the run (and with the rest of the dataset on the next one).
"""

import csv
import io
import time
import warnings
from dataclasses import dataclass

ROWS = 2000
PREFIX = "bench-import-"


@dataclass
class ImportTimes:
    rows: int
    preview_s: float
    confirm_s: float
    again_s: float  # the preview of the same file once stored: every row unchanged


def rules_file(rows: int) -> bytes:
    from regions.models import Region

    codes = list(Region.objects.filter(level__in=["province", "prefecture"]).order_by("code").values_list("code"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["slug", "region", "card_type", "password", "kind", "value", "standing", "note", "sources"])
    for n in range(rows):
        writer.writerow([
            f"{PREFIX}{n:05d}", codes[n % len(codes)][0], "ssc-gen2" if n % 2 else "", "medical_account",
            "fixed", f"{n:06d}", "unverified", f"基准测试导入第{n}行", "bench-source",
        ])  # fmt: skip
    return out.getvalue().encode()


def _post_file(client, path: str, content: bytes):
    from bs4 import BeautifulSoup
    from django.core.files.uploadedfile import SimpleUploadedFile

    select = BeautifulSoup(client.get(path).content, "html.parser").select_one("select[name=format]")
    csv_choice = next(option["value"] for option in select.select("option") if option.text.strip().lower() == "csv")
    upload = SimpleUploadedFile("bench.csv", content, content_type="text/csv")
    return client.post(path, {"resource": "0", "format": csv_choice, "import_file": upload})


def measure_import(rows: int = ROWS) -> ImportTimes:
    """Previews and confirms `rows` new rules as an editor, then previews the same file again."""
    from django.conf import settings
    from django.test import override_settings

    # The admin's pages name static files, which production settings look up in collectstatic's manifest; the
    # benchmark has not collected them, and the lookup is not what it measures.
    storages = settings.STORAGES | {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=storages), warnings.catch_warnings():
        # WhiteNoise's complaint about the same missing directory.
        warnings.filterwarnings("ignore", message="No directory at")
        return _measure_import(rows)


def _measure_import(rows: int) -> ImportTimes:
    from bs4 import BeautifulSoup
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.urls import reverse

    from passwords.models import DefaultPasswordRule

    DefaultPasswordRule.objects.filter(slug__startswith=PREFIX).delete()
    user, _ = User.objects.get_or_create(username="bench-importer", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="editors"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    path = reverse("admin:passwords_defaultpasswordrule_import")
    content = rules_file(rows)

    start = time.perf_counter()
    preview = _post_file(client, path, content)
    preview_s = time.perf_counter() - start
    form = BeautifulSoup(preview.content, "html.parser").select_one("form[action$='process_import/']")
    if form is None:
        raise SystemExit(f"the import preview refused the benchmark's file:\n{preview.content.decode()[:3000]}")
    data = {control["name"]: control.get("value", "") for control in form.select("input[name]")}

    start = time.perf_counter()
    confirmed = client.post(form["action"], data)
    confirm_s = time.perf_counter() - start
    stored = DefaultPasswordRule.objects.filter(slug__startswith=PREFIX).count()
    if confirmed.status_code != 302 or stored != rows:
        raise SystemExit(f"the confirmed import stored {stored} of {rows} rows (status {confirmed.status_code})")

    start = time.perf_counter()
    _post_file(client, path, content)
    again_s = time.perf_counter() - start

    DefaultPasswordRule.objects.filter(slug__startswith=PREFIX).delete()
    return ImportTimes(rows, preview_s, confirm_s, again_s)


def report(times: ImportTimes) -> list[str]:
    per_second = times.rows / times.confirm_s
    total = times.preview_s + times.confirm_s
    return [
        f"import of {times.rows} default-password rules through the admin (in-process, one staff member)",
        f"{'preview (upload, dry run)':42} {times.preview_s:8.2f} s",
        f"{'confirm (stored, one transaction)':42} {times.confirm_s:8.2f} s   {per_second:.0f} rows/s",
        f"{'preview again (every row unchanged)':42} {times.again_s:8.2f} s",
        "",
        f"{'MET   ' if total < 10 else 'MISSED'} preview + confirm < 10 s: {total:.2f} s",
    ]
