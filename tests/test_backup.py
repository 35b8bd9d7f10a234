"""Backups round-trip the whole content: dumped, restored into a new database, dumped again, nothing differs —
every region, source, card type, rule, policy, channel, procedure with its steps, FAQ, citation and many-to-many
link. The JSON format on any database; pg_dump / pg_restore when the tests run on PostgreSQL."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def manage(database_url: str, *command: str) -> str:
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "kb.settings_test", "DATABASE_URL": database_url, "REDIS_URL": ""}
    finished = subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished.stdout


def rows(path: Path) -> list[dict]:
    # JSON keeps times to the millisecond: a time with fewer than 1,000 microseconds is written with `.000` and
    # comes back with none, written without.
    return json.loads(re.sub(r"(T[0-9:]{8})\.000(Z|[+-])", r"\1\2", path.read_text(encoding="utf-8")))


def assert_whole_content(dump: list[dict]) -> None:
    models = {row["model"] for row in dump}
    assert {"regions.region", "sources.source", "passwords.cardtype", "procedures.step"} <= models
    assert any(model.endswith("citation") for model in models)
    assert sum(row["model"] == "regions.region" for row in dump) == 3212
    procedures = [row for row in dump if row["model"] == "procedures.procedure"]
    assert any(row["fields"]["card_types"] for row in procedures), "many-to-many links are in the dump"


@pytest.fixture
def curated(editor, publisher):
    """Content with a curation trail: a pending edit published by a publisher with a public note, so the history,
    the audit log and the change notes name staff users."""
    from curation import workflow
    from passwords.models import DefaultPasswordRule

    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    edit = workflow.start_edit(rule, editor)
    edit.note = "核对过"
    edit._history_user = editor
    edit.save()
    workflow.publish(edit, publisher, "说明核对过")


def test_a_json_backup_restores_into_a_new_database_unchanged(tmp_path, fresh_database_url, curated):
    original, again = tmp_path / "original.json", tmp_path / "again.json"
    call_command("backup", str(original), stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert_whole_content(rows(original))
    models = {row["model"] for row in rows(original)}
    assert {"passwords.historicaldefaultpasswordrule", "curation.auditentry", "curation.changenote"} <= models
    manage(fresh_database_url, "migrate", "--no-input")
    assert "Restored" in manage(fresh_database_url, "restore", str(original))
    manage(fresh_database_url, "backup", str(again))
    assert rows(again) == rows(original)


def as_before_the_curation_app(text: str) -> str:
    """A backup as it was written before the curation core moved out of the sources app."""
    for model in ("contentrevision", "changenote", "auditentry"):
        text = text.replace(f'"curation.{model}"', f'"sources.{model}"')
        text = re.sub(rf'"curation",(\s*)"{model}"', rf'"sources",\1"{model}"', text)
    return text


def test_a_backup_made_before_the_curation_app_still_restores(tmp_path, fresh_database_url, curated):
    original, old, again = tmp_path / "original.json", tmp_path / "old.json", tmp_path / "again.json"
    call_command("backup", str(original), stdout=open(os.devnull, "w"))  # noqa: SIM115
    old.write_text(as_before_the_curation_app(original.read_text(encoding="utf-8")), encoding="utf-8")
    groups = [row for row in rows(old) if row["model"] == "auth.group"]
    assert ["publish_content", "sources", "contentrevision"] in [
        key for g in groups for key in g["fields"]["permissions"]
    ]
    assert any(row["model"] == "sources.changenote" for row in rows(old))
    manage(fresh_database_url, "migrate", "--no-input")
    assert "Restored" in manage(fresh_database_url, "restore", str(old))
    manage(fresh_database_url, "backup", str(again))
    assert rows(again) == rows(original)


def test_a_json_restore_refuses_a_database_that_holds_content(tmp_path):
    path = tmp_path / "content.json"
    call_command("backup", str(path), stdout=open(os.devnull, "w"))  # noqa: SIM115
    with pytest.raises(Exception, match="already holds content"):
        call_command("restore", str(path))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL")
def test_a_postgres_dump_restores_into_a_new_database_unchanged(tmp_path, fresh_database_url):
    # pg_dump reads what is committed, so this test cannot add a curation trail inside its own transaction; the
    # JSON round trip above covers one.
    dump, original, again = tmp_path / "kb.dump", tmp_path / "original.json", tmp_path / "again.json"
    call_command("backup", str(dump), format="postgres", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert dump.read_bytes().startswith(b"PGDMP")
    call_command("backup", str(original), stdout=open(os.devnull, "w"))  # noqa: SIM115
    manage(fresh_database_url, "restore", str(dump))
    assert "No migrations to apply" in manage(fresh_database_url, "migrate", "--no-input")
    manage(fresh_database_url, "backup", str(again))
    assert rows(again) == rows(original)
