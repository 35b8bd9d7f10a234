"""The admin in one language: every page a Chinese-speaking member of staff opens reads in Chinese, with local times.

The pages are found from the admin site's own URLs, so that a page added later is read too; each is rendered in
zh-hans for a superuser, over the seeded content and an object that went through the whole workflow (submitted,
published, edited, reverted, archived, imported), and its visible text (text nodes, and the title, placeholder,
aria-label and alt attributes, and button labels) is searched for English words.

Content is data, not interface: a word is allowed when it is part of what staff typed (any text value of the
database's rows: slugs, URLs, pinyin, source titles), a spreadsheet column name where the import and export pages
name columns (the file's headers, which stay stable), one of the few names in ALLOWED, or text that packages write
in English in any language (NOT_OURS). The import preview's cells are the uploaded file's, as the file has them.
"""

import datetime
import re
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup, Comment, Doctype
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from model_bakery import baker

from curation import workflow
from curation.history import record_history
from curation.models import ContentModel
from passwords.models import DefaultPasswordRule
from procedures.models import Procedure, Step

pytestmark = pytest.mark.django_db

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}

# What stays Latin in a Chinese interface: names and abbreviations staff read as they are.
ALLOWED = {
    "API", "URL", "JSON", "CSV", "XLSX", "csv", "xlsx", "ID", "IP", "HTTP", "GET", "POST", "APP", "GB/T", "Yibao",
    "KB", "MB", "Django", "sha256", "LDAP", "Accept",
    # Keys on the keyboard, in Django's help for choosing several rows.
    "Control", "Command", "Mac",
    # The region searches' examples of what to type, and the example of a proposed slug.
    "wuhan", "wh", "zhangjiakou", "zjk", "zhangjiakou-xiu-gai-mi-ma",
}  # fmt: skip
# A file's name (content.yaml, 规则.csv) is what it was called, in any language.
FILE_NAME = re.compile(r".+\.(yaml|csv|xlsx)")
# Text that packages write in English whatever the language, which no catalog can translate: Django stores the
# permissions' names ("Can add rule") in English and names the tables behind many-to-many links after the classes
# ("Procedure_card_types object (1)"); django-axes' rows name themselves in English; Django's user form joins an
# English sentence to its translated help text when the module is imported.
MOMENT = r"(None|\d{4}-\d\d-\d\d[\d:.+ ]*)"
NOT_OURS = [
    re.compile(r".*\| Can [^|]*$"),
    re.compile(r"\b[A-Z][a-z]+-[a-z]+(?= ?relationship|关系)|\b[A-Z][a-z]+_[a-z_]+( object \(\d+\))?"),
    re.compile(f"Attempted Access: {MOMENT}|Access Log for \\S* @ {MOMENT}"),
    re.compile(f"Failed access: user \\S*( locked out)? on {MOMENT} from \\S*"),
    re.compile(r"If disabled, the current password for this user will be lost\."),
]

# A run of Latin letters, with what joins the parts of one identifier (a slug, a URL, a file name).
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/:@?=&%#+~]*")
WORD = re.compile(r"[A-Za-z]{2,}")
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# Pages that are not pages (answers to a POST, redirects, JSON and JavaScript), and the sign-in page, which
# signed-in staff are sent on from: it is read signed out.
NOT_PAGES = {"logout", "autocomplete", "jsi18n", "view_on_site", "login"}


def latin_tokens(text: str) -> Iterator[str]:
    for token in TOKEN.findall(text):
        token = token.strip(".:/-?")
        if WORD.search(token):
            yield token


def visible_text(html: str) -> list[tuple[str, bool]]:
    """The text a person reads on the page, each piece with whether it names a spreadsheet column (<code>, and the
    import preview's headers and the column an error is about)."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "template", "textarea", "noscript"]):
        hidden.decompose()
    for data in soup.select("#id_password bdi"):
        data.decompose()  # the parts of a user's password hash
    for data in soup.select("table.import-preview td:not(.import-type):not(.errors)"):
        data.decompose()  # the uploaded file's cells, as the file has them
    columns = {id(element) for element in soup.select("code, table.import-preview th, .validation-error-field-label")}
    pieces = []
    for text in soup.find_all(string=True):
        if text.strip() and not isinstance(text, Comment | Doctype):
            pieces.append((str(text), any(id(parent) in columns for parent in text.parents)))
    for element in soup.find_all(True):
        if element.name == "img" and "/admin/img/" in element.get("src", ""):
            continue  # Django's icons, whose alt text is English in any language ("Search", "True")
        for attribute in SHOWN_ATTRIBUTES:
            if element.get(attribute):
                pieces.append((str(element[attribute]), False))
        if element.name == "input" and element.get("type") in {"submit", "button", "reset"} and element.get("value"):
            pieces.append((element["value"], False))
    return pieces


@pytest.fixture
def every_model_has_a_row(db) -> None:
    """A row of each model the seeded content leaves empty (sign-in attempts, tokens), for its change page."""
    for model in admin.site._registry:
        if not model._base_manager.exists():
            baker.make(model)


@pytest.fixture
def pending_edits(worked, admin_user) -> list[ContentModel]:
    """A pending edit of each kind of content: a draft, which may be deleted, and whose change page shows what
    publishing it would change."""
    edits = []
    for model in workflow.content_models():
        original = model._base_manager.filter(status="published", draft_of=None).order_by("pk").first()
        if original is not None:
            edits.append(workflow.start_edit(original, admin_user))
    return edits


@pytest.fixture
def data_words(every_model_has_a_row, pending_edits) -> set[str]:
    """Every token of every text value the admin's models hold: what staff typed or imported is content, not
    interface. Not the audit log, whose details the workflow writes, nor the history's reasons."""
    from curation.models import AuditEntry

    words: set[str] = set()
    registered = [model for model in admin.site._registry if model is not AuditEntry]
    # Past versions too: the audit log names pending edits that were published and deleted since.
    for model in [*registered, *(model.history.model for model in registered if hasattr(model, "history"))]:
        text_fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField)
            and not field.choices
            and field.attname != "history_change_reason"
        ]
        for values in model._base_manager.values_list(*text_fields) if text_fields else ():
            for value in values:
                if value:
                    words.update(latin_tokens(str(value)))
    # The audit log names each object as it was called when it was audited, which may be gone since (another test
    # on the same worker may have left entries): that name is content too, its details are not.
    for name in AuditEntry.objects.values_list("object_repr", flat=True):
        words.update(latin_tokens(name))
    return words


@pytest.fixture
def column_names() -> set[str]:
    """The spreadsheet column names of every import and export: the file's headers, stable in any language."""
    names: set[str] = set()
    for model_admin in admin.site._registry.values():
        for resource in getattr(model_admin, "resource_classes", []):
            names.update(field.column_name for field in resource().get_export_fields())
    return names


def english_on(html: str, allowed: set[str], column_names: set[str]) -> list[str]:
    found = []
    for text, names_column in visible_text(html):
        for pattern in NOT_OURS:
            text = pattern.sub(" ", text)
        for token in latin_tokens(text):
            if token in allowed or (names_column and token in column_names) or FILE_NAME.fullmatch(token):
                continue
            found.append(token)
    return sorted(set(found))


@pytest.fixture
def worked(admin_user) -> Procedure:
    """A seeded procedure that went through the whole workflow, so that its history holds every kind of reason."""
    procedure = Procedure.objects.filter(status="published").order_by("pk").first()
    copy = workflow.start_edit(procedure, admin_user)
    step = copy.steps.order_by("position").first()
    step.instruction += "，再核对一次"
    step.save()
    Step.objects.create(procedure=copy, position=copy.steps.count() + 1, instruction="完成后退出登录")
    workflow.submit(copy, admin_user)
    workflow.return_to_draft(copy, admin_user, reason="请补充步骤")
    workflow.submit(copy, admin_user)
    procedure = workflow.publish(copy, admin_user, note="补充了最后一步")
    procedure = workflow.mark_verified(procedure, admin_user)
    first = procedure.history.order_by("history_date", "history_id").first()
    procedure = workflow.archive(workflow.revert(procedure, admin_user, record=first), admin_user)
    # A rule in review, scheduled: the schedule's audit entry and history reason.
    rule = DefaultPasswordRule.objects.filter(status="published").order_by("pk").first()
    rule_copy = workflow.start_edit(rule, admin_user)
    workflow.submit(rule_copy, admin_user)
    workflow.schedule(rule_copy, admin_user, timezone.now() + datetime.timedelta(days=3))
    return procedure


@pytest.fixture
def imported(client, admin_user) -> str:
    """An import through the admin, for its audit entry and its history reason; the preview page it showed."""
    from tests.test_import_export import csv_file, exported_row

    client.force_login(admin_user)
    row = exported_row(client, DefaultPasswordRule, "wuhan-fixed-1234")
    row["note"] = (row["note"] or "") + "（导入核对）"
    url = reverse("admin:passwords_defaultpasswordrule_import")
    page = BeautifulSoup(client.get(url, **CHINESE).content, "html.parser")
    fmt = next(o["value"] for o in page.select("select[name=format] option") if o.text.strip().lower() == "csv")
    data = {"format": fmt, "import_file": SimpleUploadedFile("规则.csv", csv_file([row]), content_type="text/csv")}
    preview = client.post(url, data, **CHINESE)
    form = BeautifulSoup(preview.content, "html.parser").select_one("form[action$='process_import/']")
    fields = {field["name"]: field.get("value", "") for field in form.select("input[name]")}
    client.post(form["action"], fields, **CHINESE)
    return preview.content.decode()


def example_object(model: type[models.Model], worked: Procedure) -> models.Model:
    if model is Procedure:
        return worked
    return model._base_manager.order_by("pk").first()


def admin_pages(worked: Procedure, pending_edits: list[ContentModel], request) -> Iterator[str]:
    """Every page of the admin site that answers a GET, with its addresses filled from the example objects."""
    for pattern in admin.site.get_urls():
        if isinstance(pattern, URLPattern) and pattern.name and pattern.name not in NOT_PAGES:
            if pattern.name == "app_list":
                for app_label in {model._meta.app_label for model in admin.site._registry}:
                    yield reverse("admin:app_list", args=[app_label])
            else:
                yield reverse(f"admin:{pattern.name}")
    for model, model_admin in admin.site._registry.items():
        obj = example_object(model, worked)
        objects = [obj, *(edit for edit in pending_edits if type(edit) is model)]
        for resolver in model_admin.get_urls():
            assert not isinstance(resolver, URLResolver)
            name = resolver.name
            # propose-slug answers the add form's script in JSON: not a page.
            if name is None or name.endswith(("_workflow", "_revert", "_process_import", "_propose_slug")):
                continue
            keys = set(resolver.pattern.converters) | set(resolver.pattern.regex.groupindex)
            if not keys and resolver.pattern.regex.groups == 0:
                if not name.endswith("_add") or model_admin.has_add_permission(request):
                    yield reverse(f"admin:{name}")
                continue
            for target in objects:
                if name.endswith("_simple_history"):
                    record = target.history.order_by("history_id").first()
                    yield reverse(f"admin:{name}", args=[target.pk, record.pk])
                elif name.endswith("_delete") and not model_admin.has_delete_permission(request, target):
                    continue
                elif "id" in keys:
                    yield reverse(f"admin:{name}", kwargs={"id": target.pk})
                else:
                    yield reverse(f"admin:{name}", kwargs={"object_id": target.pk})
    yield reverse("admin-freshness")
    yield reverse("admin-review-queue")
    for part in ("in_review", "pending_edit", "scheduled"):
        yield reverse("admin-review-queue") + f"?part={part}"


def test_every_admin_page_reads_in_chinese(
    client, admin_user, worked, pending_edits, imported, data_words, column_names, rf
):
    from django.test import Client

    signed_out = Client().get(reverse("admin:login"), **CHINESE)
    client.force_login(admin_user)
    request = rf.get("/")
    request.user = admin_user
    allowed = ALLOWED | data_words | {admin_user.get_username()}
    english: dict[str, list[str]] = {}
    pages = list(dict.fromkeys(admin_pages(worked, pending_edits, request)))
    for url in pages:
        response = client.get(url, **CHINESE)
        assert response.status_code == 200, url
        found = english_on(response.content.decode(), allowed, column_names)
        if found:
            english[url] = found
    for name, html in (("import preview", imported), ("sign-in", signed_out.content.decode())):
        found = english_on(html, allowed, column_names)
        if found:
            english[name] = found
    assert len(pages) > 100
    for url, words in english.items():
        print(url, words)
    assert english == {}


def shown(moment: datetime.datetime) -> str:
    return date_format(localtime(moment), "DATETIME_FORMAT")


def test_a_revert_is_told_and_recorded_in_chinese_at_local_time(client, admin_user):
    client.force_login(admin_user)
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    first = rule.history.order_by("history_date", "history_id").first()
    revert = reverse("admin:passwords_defaultpasswordrule_revert", args=[rule.pk, first.pk])

    response = client.post(revert, follow=True, **CHINESE)

    assert [str(message) for message in response.context["messages"]] == [
        f"已恢复到 {shown(first.history_date)} 的版本。"
    ]
    assert str(first.history_date.microsecond) not in shown(first.history_date)
    history = client.get(reverse("admin:passwords_defaultpasswordrule_history", args=[rule.pk]), **CHINESE)
    newest = BeautifulSoup(history.content, "html.parser").select("#change-history tbody tr")[0]
    assert [cell.get_text(strip=True) for cell in newest.select("td")[2:5]] == [
        "已修改",
        "admin",
        f"恢复到 {shown(first.history_date)} 的版本",
    ]
    log = client.get(reverse("admin:curation_auditentry_changelist"), **CHINESE)
    detail = BeautifulSoup(log.content, "html.parser").select_one("#result_list tbody tr .field-details")
    assert detail.get_text() == f"恢复到 {shown(first.history_date)} 的第 {first.version} 版"


def test_reasons_written_before_read_in_chinese_and_none_reads_as_nothing(client, admin_user):
    """Reasons stay stored in English (the write API returns them); rows written before read translated too."""
    client.force_login(admin_user)
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    # As the first loads and the first-versions migration wrote them.
    rule.history.update(history_change_reason=None)
    record_history(rule, reason="links changed")

    history = client.get(reverse("admin:passwords_defaultpasswordrule_history", args=[rule.pk]), **CHINESE)

    reasons = [
        row.select("td")[4].get_text(strip=True)
        for row in BeautifulSoup(history.content, "html.parser").select("#change-history tbody tr")
    ]
    assert reasons[-2:] == ["关联或步骤有变", ""]
    assert "None" not in history.content.decode()
