"""Loads the curated content in fixtures/ into the database, validating every row; loading twice changes nothing.

The fixture is one YAML document with a list per kind of content. Rows are matched by slug (steps by their
procedure and position), so a second load updates in place and creates no duplicates. Every row goes through
`full_clean()`, the same validation as the admin, and the whole load is one transaction: a bad row loads nothing.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import models, transaction

from passwords.models import CardType, DefaultPasswordRule, PasswordPolicy
from regions.models import Region
from sources.choices import Status
from sources.models import Source

from .models import Channel, Faq, Procedure, Step

DEFAULT_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "content.yaml"


class ContentError(Exception):
    """A row of the fixture that cannot be loaded, named so that a curator can find it."""


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str, label: str) -> None:
        bucket = getattr(self, outcome)
        bucket[label] = bucket.get(label, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


class Loader:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.report = LoadReport()
        self.regions: dict[str, Region] = {}

    def region(self, code: str) -> Region:
        code = str(code)
        if code not in self.regions:
            try:
                self.regions[code] = Region.objects.get(code=code)
            except Region.DoesNotExist:
                raise ContentError(f"unknown region {code}: run `manage.py import_regions` first") from None
        return self.regions[code]

    @staticmethod
    def by_slug(model: type[models.Model], slug: str | None):
        if slug is None:
            return None
        try:
            return model.objects.get(slug=slug)
        except model.DoesNotExist:
            raise ContentError(f"unknown {model._meta.model_name} {slug!r}") from None

    def upsert(self, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any], m2m: dict[str, list]):
        label = model._meta.model_name
        instance = model.objects.filter(**lookup).first()
        outcome = "created" if instance is None else "unchanged"
        if instance is None:
            instance = model(**lookup)
        for name, value in values.items():
            model_field = model._meta.get_field(name)
            if model_field.is_relation:
                # Compare ids: reading the relation of a new row would raise, and costs a query on an old one.
                current, wanted = getattr(instance, model_field.attname), value.pk if value is not None else None
            else:
                # YAML reads `12333` as a number; compare what the field would store.
                value = model_field.to_python(value)
                current, wanted = getattr(instance, name), value
            if current != wanted:
                setattr(instance, name, value)
                if outcome == "unchanged":
                    outcome = "updated"
        try:
            instance.full_clean()
        except ValidationError as error:
            raise ContentError(f"{label} {lookup}: {error.message_dict}") from None
        if outcome != "unchanged":
            instance.save()
        for name, wanted in m2m.items():
            manager = getattr(instance, name)
            if set(manager.values_list("pk", flat=True)) != {obj.pk for obj in wanted}:
                manager.set(wanted)
                if outcome == "unchanged":
                    outcome = "updated"
                    # auto_now only moves on save(): touch the row so that `updated_since` sees the change.
                    instance.save(update_fields=["updated_at"])
        self.report.count(outcome, label)
        return instance

    def sources(self, row: dict) -> list[Source]:
        slugs = row.get("sources") or []
        if not slugs:
            raise ContentError(f"{row.get('slug')}: every fact cites at least one source")
        return [self.by_slug(Source, slug) for slug in slugs]

    @staticmethod
    def plain(row: dict, *names: str) -> dict[str, Any]:
        return {name: row[name] for name in names if name in row}

    def load(self) -> LoadReport:
        data = self.data
        for row in data.get("sources", []):
            values = self.plain(row, "title", "publisher", "url", "published_on", "retrieved_on", "note")
            values["status"] = row.get("status", Status.PUBLISHED)
            self.upsert(Source, {"slug": row["slug"]}, values, {})

        for row in data.get("card_types", []):
            values = self.plain(row, "name", "short_name", "medium", "has_financial_account", "description")
            values["status"] = row.get("status", Status.PUBLISHED)
            self.upsert(CardType, {"slug": row["slug"]}, values, {"sources": self.sources(row)})

        for row in data.get("channels", []):
            values = self.plain(row, "kind", "name", "phone", "url", "opening_hours", "description")
            values |= {"region": self.region(row["region"]), "status": row.get("status", Status.PUBLISHED)}
            self.upsert(Channel, {"slug": row["slug"]}, values, {"sources": self.sources(row)})

        scoped = ("password", "standing", "note")
        for row in data.get("rules", []):
            values = self.plain(
                row, *scoped, "kind", "value", "insurance", "enrolment", "valid_from", "valid_until",
                "must_change_before_use",
            )  # fmt: skip
            values |= self.scope(row)
            self.upsert(DefaultPasswordRule, {"slug": row["slug"]}, values, {"sources": self.sources(row)})

        for row in data.get("policies", []):
            values = self.plain(
                row, *scoped, "min_length", "max_length", "allowed_characters", "new_may_equal_old", "change_limit",
                "takes_effect_immediately", "lockout_after_attempts", "unlock", "unlock_after_hours",
            )  # fmt: skip
            values |= self.scope(row)
            self.upsert(PasswordPolicy, {"slug": row["slug"]}, values, {"sources": self.sources(row)})

        for row in data.get("procedures", []):
            values = self.plain(
                row, "kind", "title", "summary", "holder_must_be_present", "who_may_act", "duration", "fee", "standing"
            )
            values |= {
                "region": self.region(row["region"]),
                "channel": self.by_slug(Channel, row["channel"]),
                "requirements": "\n".join(row.get("requirements", [])),
                "status": row.get("status", Status.PUBLISHED),
            }
            card_types = [self.by_slug(CardType, slug) for slug in row.get("card_types", [])]
            procedure = self.upsert(
                Procedure, {"slug": row["slug"]}, values, {"sources": self.sources(row), "card_types": card_types}
            )
            self.steps(procedure, row.get("steps", []))

        for row in data.get("faqs", []):
            values = self.plain(row, "question", "answer") | {"status": row.get("status", Status.PUBLISHED)}
            m2m = {
                "sources": self.sources(row),
                "regions": [self.region(code) for code in row.get("regions", [])],
                "card_types": [self.by_slug(CardType, slug) for slug in row.get("card_types", [])],
                "procedures": [self.by_slug(Procedure, slug) for slug in row.get("procedures", [])],
            }
            self.upsert(Faq, {"slug": row["slug"]}, values, m2m)
        return self.report

    def scope(self, row: dict) -> dict[str, Any]:
        return {
            "region": self.region(row["region"]),
            "card_type": self.by_slug(CardType, row.get("card_type")),
            "status": row.get("status", Status.PUBLISHED),
        }

    def steps(self, procedure: Procedure, rows: list[dict]) -> None:
        if not rows:
            raise ContentError(f"procedure {procedure.slug}: a procedure needs at least one step")
        # Steps beyond the fixture's last one are leftovers of a longer earlier version.
        stale = procedure.steps.filter(position__gt=len(rows))
        if stale.exists():
            stale.delete()
            self.report.count("updated", "step")
        for position, row in enumerate(rows, start=1):
            values = {"instruction": row["instruction"], "ui_path": row.get("ui_path", "")}
            self.upsert(Step, {"procedure": procedure, "position": position}, values, {})


def load_content(path: Path = DEFAULT_FIXTURE) -> LoadReport:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    with transaction.atomic():
        return Loader(data).load()
