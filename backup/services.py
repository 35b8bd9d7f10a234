"""Backups of the content, and restoring them: a natural-key JSON export for any database, pg_dump for PostgreSQL.

The JSON export holds every row of the content apps (regions, sources, card types, rules, policies, channels,
procedures with their steps, FAQs, citations, their history, change notes and audit log, and any table those apps
add), the staff groups and the staff accounts the history names (with their password hashes: keep backups as safe
as the database; API tokens are left out and are issued again), with foreign keys
written as natural keys (region codes, slugs, content types by name) so that it loads into any freshly migrated
database. The PostgreSQL dump (`pg_dump -Fc`) is the whole database, users and sessions included.
"""

import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections, transaction

from curation import events
from curation.history import history_paused
from curation.revisions import prepared_once

CONTENT_APPS = ["regions", "curation", "sources", "passwords", "procedures", "auth.group", "auth.user"]
# A counter for cache keys, not content: loading a backup moves it on by itself, which is what caches need.
NOT_CONTENT = ["curation.ContentRevision"]
PG_DUMP_MAGIC = b"PGDMP"
# Models that moved from the sources app to the curation core: a backup made before the move names them (and the
# permissions on them, by natural key) under `sources`.
MOVED_TO_CURATION = {"contentrevision", "changenote", "auditentry"}


class RestoreRefused(Exception):
    """The database already holds content: a restore goes into a freshly migrated database."""


def export_json(path: Path, *, database: str = "default") -> None:
    call_command(
        "dumpdata", *CONTENT_APPS, exclude=NOT_CONTENT, natural_foreign=True, natural_primary=True, indent=1,
        database=database, output=str(path), verbosity=0,
    )  # fmt: skip


def renamed_models(value):
    """A backup's rows with the models that moved since it was made named where they live now: the model of a row
    (`sources.changenote`), and natural keys of content types and permissions (`["sources", "changenote"]`,
    `["publish_content", "sources", "contentrevision"]`)."""
    if isinstance(value, dict):
        renamed = {key: renamed_models(item) for key, item in value.items()}
        model = renamed.get("model")
        if isinstance(model, str) and model.partition(".")[::2] in {("sources", m) for m in MOVED_TO_CURATION}:
            renamed["model"] = "curation." + model.partition(".")[2]
        return renamed
    if isinstance(value, list):
        if len(value) in (2, 3) and value[-2:-1] == ["sources"] and value[-1] in MOVED_TO_CURATION:
            return [*value[:-2], "curation", value[-1]]
        return [renamed_models(item) for item in value]
    return value


def import_json(path: Path, *, database: str = "default") -> None:
    """Loads a JSON backup in one transaction, as `loaddata` would, and keeps each row's `updated_at` as written.

    Loading a row's links (citations, many-to-many) marks the row changed, as a change in the admin would; a restore
    changes nothing, and clients syncing with `updated_since` must not fetch everything again."""
    from regions.models import Region

    if Region.objects.using(database).exists():
        raise RestoreRefused("The database already holds content; restore into a freshly migrated database.")
    connection = connections[database]
    stamps: dict[type, dict] = defaultdict(dict)
    # The history is restored from the backup; the links being set again must not add versions to it.
    rows = renamed_models(json.loads(Path(path).read_text(encoding="utf-8")))
    # So are the change feed's events, under their ids: apps' cursors go on across a restore of the latest backup.
    with prepared_once(), transaction.atomic(using=database), history_paused(), events.feed_paused():
        waiting = []
        # The JSON is read once, above; Django's JSON deserializer is this one after its own json.loads.
        for item in serializers.deserialize("python", rows, using=database, handle_forward_references=True):
            item.save(using=database)
            if item.deferred_fields:
                waiting.append(item)
            row = item.object
            if any(field.name == "updated_at" for field in row._meta.concrete_fields):
                stamps[type(row)][row.pk] = row.updated_at
        for item in waiting:
            item.save_deferred_fields(using=database)
        for model, times in stamps.items():
            for pk, moment in times.items():
                model.objects.using(database).filter(pk=pk).update(updated_at=moment)
        # Rows without a natural key keep their ids: the next id each table hands out must come after them
        # (PostgreSQL's sequences).
        models = {model for model in apps.get_models() if model._meta.app_label in {"regions", "curation", "sources",
                  "passwords", "procedures", "auth"}}  # fmt: skip
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        events.restored(using=database)


def is_postgres_dump(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(len(PG_DUMP_MAGIC)) == PG_DUMP_MAGIC


def libpq_environment(database: str = "default") -> dict[str, str]:
    """The connection settings of `database` as libpq's environment variables, for pg_dump and pg_restore."""
    connection = connections[database]
    if connection.vendor != "postgresql":
        raise ValueError("pg_dump and pg_restore need a PostgreSQL database; use the JSON format.")
    settings = connection.settings_dict
    values = {
        "PGDATABASE": settings["NAME"],
        "PGHOST": settings["HOST"],
        "PGPORT": str(settings["PORT"] or ""),
        "PGUSER": settings["USER"],
        "PGPASSWORD": settings["PASSWORD"],
    }
    return os.environ | {key: value for key, value in values.items() if value}


def dump_postgres(path: Path, *, database: str = "default") -> None:
    run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"], database)


def restore_postgres(path: Path, *, database: str = "default") -> None:
    # Into a new, empty database (no migrations run): the dump recreates every table, and the migration history.
    run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={libpq_environment(database)['PGDATABASE']}", str(path)], database)  # fmt: skip


def run(command: list[str], database: str) -> None:
    finished = subprocess.run(command, env=libpq_environment(database), capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {finished.stderr.strip()[-2000:]}")
