"""Issue 4's whole story through the admin: an editor imports a province's rules from a spreadsheet as drafts, a
publisher reviews the diff and publishes, the public API shows the new rules at once, and the change can be traced
and reverted."""

import io

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from curation.models import AuditEntry
from passwords.models import DefaultPasswordRule
from tests.test_import_export import confirm, upload

pytestmark = pytest.mark.django_db

RULES = "/api/v1/password-rules/"
CHANGELIST = reverse("admin:passwords_defaultpasswordrule_changelist")


def spreadsheet(rows: list[dict[str, str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def hebei_rows() -> list[dict[str, str]]:
    base = {"card_type": "", "password": "medical_account", "standing": "unverified", "sources": "zhangjiakou-123456"}
    return [
        # A new rule for 石家庄, and a change to 张家口's published rule.
        {**base, "slug": "shijiazhuang-import-666666", "region": "130100", "kind": "fixed", "value": "666666"},
        {**base, "slug": "zhangjiakou-123456-from-2022-03-02", "region": "130700", "kind": "fixed", "value": "654321"},
    ]


def values_in_api(client, region: str) -> set[str]:
    response = client.get(RULES, {"region": region, "page_size": 100})
    return {rule["value"] for rule in response.json()["results"]}


def test_import_review_publish_trace_and_revert(client, editor, publisher_client, committed):
    published = DefaultPasswordRule.objects.get(slug="zhangjiakou-123456-from-2022-03-02")
    source = published.sources.first().slug
    rows = [{**row, "sources": source} for row in hebei_rows()]
    before = values_in_api(client, "130700")

    # The editor imports the spreadsheet: a new draft, and a pending edit of the published rule.
    client.force_login(editor)
    preview = upload(client, DefaultPasswordRule, spreadsheet(rows), "hebei.xlsx", fmt="xlsx")
    assert committed(lambda: confirm(client, preview)).status_code == 302
    client.logout()
    new = DefaultPasswordRule.objects.get(slug="shijiazhuang-import-666666")
    pending = DefaultPasswordRule.objects.get(draft_of=published)
    assert (new.status, pending.status) == ("draft", "draft")
    assert values_in_api(client, "130700") == before
    assert "666666" not in values_in_api(client, "130100")

    # The publisher reads what publishing the edit would change, then publishes both from the list.
    review = BeautifulSoup(
        publisher_client.get(reverse("admin:passwords_defaultpasswordrule_change", args=[pending.pk])).content,
        "html.parser",
    )
    assert ["取值", "123456", "654321"] in [
        [cell.get_text(strip=True) for cell in row.select("th, td")]
        for row in review.select(".pending-changes tbody tr")
    ]
    response = committed(
        lambda: publisher_client.post(
            CHANGELIST, {"action": "workflow_publish", "_selected_action": [new.pk, pending.pk]}, follow=True
        )
    )
    assert response.status_code == 200

    # The public API shows the new rules at once.
    assert "654321" in values_in_api(client, "130700")
    assert "666666" in values_in_api(client, "130100")

    # Traced: the audit log has the import and both publishes; the rule's history says who changed what.
    actions = list(AuditEntry.objects.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["import", "publish", "publish"]
    history = publisher_client.get(reverse("admin:passwords_defaultpasswordrule_history", args=[published.pk]))
    assert "654321" in history.content.decode()

    # Reverted: the publisher restores the version before the import.
    published.refresh_from_db()
    earlier = published.history.filter(value="123456").order_by("-history_date").first()
    revert = reverse("admin:passwords_defaultpasswordrule_revert", args=[published.pk, earlier.pk])
    committed(lambda: publisher_client.post(revert))
    assert values_in_api(client, "130700") == before
