"""Loads the curated content in fixtures/ into the database, validating every row; loading twice changes nothing.

The fixture is one YAML document with a list per kind of content. Rows are matched by slug (steps by their
procedure and position). Every row goes through `full_clean()`, the same validation as the admin, and the whole
load is one transaction: a bad row loads nothing.

Two modes:
- sync (the default): the database is made to match the file. A field the file leaves out takes its default,
  so the file is the whole truth for the rows it names. Use it to reset content from the fixture.
- missing only: rows the database lacks are created; rows that exist are left exactly as staff left them.
  This is what `make setup` and the container's start run, so a restart never undoes curation.
"""

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import models, transaction

from curation.choices import Status
from curation.history import record_history
from curation.models import ContentModel, linkable
from passwords.models import CardType, CardTypeAvailability, DefaultPasswordRule, PasswordPolicy
from procedures.models import Channel, Faq, Procedure, Step
from regions.models import Region
from sources.models import Source

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


@dataclass(frozen=True)
class Section:
    """How one top-level list of the fixture maps onto a model."""

    key: str
    model: type[models.Model]
    fields: tuple[str, ...]
    relations: dict[str, Callable[["Loader", Any], Any]] = field(default_factory=dict)
    links: dict[str, Callable[["Loader", Any], list]] = field(default_factory=dict)
    extra_keys: tuple[str, ...] = ()


def _region(loader: "Loader", code: Any) -> Region:
    return loader.region(code)


def _card_type(loader: "Loader", slug: str | None) -> CardType | None:
    return loader.by_slug(CardType, slug)


def _channel(loader: "Loader", slug: str) -> Channel:
    return loader.by_slug(Channel, slug)


def _sources(loader: "Loader", slugs: list[str] | None) -> list[Source]:
    return [loader.by_slug(Source, slug) for slug in slugs or []]


def _card_types(loader: "Loader", slugs: list[str] | None) -> list[CardType]:
    return [loader.by_slug(CardType, slug) for slug in slugs or []]


def _regions(loader: "Loader", codes: list[Any] | None) -> list[Region]:
    return [loader.region(code) for code in codes or []]


def _procedures(loader: "Loader", slugs: list[str] | None) -> list[Procedure]:
    return [loader.by_slug(Procedure, slug) for slug in slugs or []]


SCOPED = ("password", "standing", "note")
POLICY_FIELDS = (
    *SCOPED, "min_length", "max_length", "allowed_characters", "new_may_equal_old", "change_limit_state",
    "change_limit",
    "takes_effect_immediately", "lockout_after_attempts", "unlock", "unlock_after_hours",
)  # fmt: skip
SCOPE_RELATIONS = {"region": _region, "card_type": _card_type}
SECTIONS = (
    Section("sources", Source, ("title", "publisher", "official", "url", "published_on", "retrieved_on", "note")),
    Section(
        "card_types",
        CardType,
        ("name", "short_name", "medium", "has_financial_account", "description"),
        links={"sources": _sources},
        extra_keys=("availability",),
    ),
    Section(
        "channels",
        Channel,
        ("kind", "name", "phone", "url", "opening_hours", "description"),
        relations={"region": _region},
        links={"sources": _sources},
    ),
    Section(
        "rules",
        DefaultPasswordRule,
        (
            *SCOPED,
            "kind",
            "value",
            "insurance",
            "enrolment",
            "medium",
            "valid_from",
            "valid_until",
            "must_change_before_use",
        ),
        relations=SCOPE_RELATIONS,
        links={"sources": _sources},
    ),
    Section(
        "policies",
        PasswordPolicy,
        POLICY_FIELDS,
        relations=SCOPE_RELATIONS,
        links={"sources": _sources},
    ),
    Section(
        "procedures",
        Procedure,
        (
            "kind",
            "title",
            "summary",
            "insurance",
            "enrolment",
            "holder_must_be_present",
            "who_may_act",
            "duration",
            "fee",
            "standing",
        ),
        relations={"region": _region, "channel": _channel},
        links={"sources": _sources, "card_types": _card_types},
        extra_keys=("requirements", "steps"),
    ),
    Section(
        "faqs",
        Faq,
        ("question", "answer"),
        links={"sources": _sources, "regions": _regions, "card_types": _card_types, "procedures": _procedures},
    ),
)
CITED = {"card_types", "channels", "rules", "policies", "procedures", "faqs"}


class Loader:
    def __init__(self, data: dict[str, Any], *, missing_only: bool = False, source_name: str = "content.yaml") -> None:
        self.data = data or {}
        self.source_name = source_name
        self.missing_only = missing_only
        self.report = LoadReport()
        self.regions: dict[str, Region] = {}

    def region(self, code: Any) -> Region:
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
            return linkable(model).get(slug=slug)
        except model.DoesNotExist:
            raise ContentError(f"unknown {model._meta.model_name} {slug!r}") from None

    def check_shape(self) -> None:
        known = {section.key for section in SECTIONS}
        if unknown := set(self.data) - known:
            raise ContentError(f"unknown lists {sorted(unknown)}; expected some of {sorted(known)}")
        for section in SECTIONS:
            allowed = {"slug", "status", *section.fields, *section.relations, *section.links, *section.extra_keys}
            seen: set[str] = set()
            for row in self.data.get(section.key, []):
                slug = row.get("slug")
                if not slug:
                    raise ContentError(f"{section.key}: a row without a slug: {row}")
                if slug in seen:
                    raise ContentError(f"{section.key} {slug}: the slug appears twice")
                seen.add(slug)
                if unknown := set(row) - allowed:
                    raise ContentError(f"{section.key} {slug}: unknown keys {sorted(unknown)}")
                if section.key in CITED and not row.get("sources"):
                    raise ContentError(f"{section.key} {slug}: every fact cites at least one source")

    def upsert(
        self,
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
        links: dict,
        owned: Callable[[Any], bool] | None = None,
    ):
        """Creates or updates one row and its links; `owned` writes the rows it owns (a procedure's steps) and
        says whether they changed."""
        label = model._meta.model_name
        instance = model.objects.filter(**lookup).first()
        if instance is not None and self.missing_only:
            self.report.count("unchanged", label)
            return instance, False
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
        created = outcome == "created"
        # Content is recorded in history once, when its links and owned rows are in place too: a first version
        # without them could not be reverted to (a procedure needs its steps).
        deferred = instance.history_deferred() if isinstance(instance, ContentModel) else contextlib.nullcontext()
        with deferred:
            if outcome != "unchanged":
                instance.save()
            for name, wanted in links.items():
                manager = getattr(instance, name)
                if set(manager.values_list("pk", flat=True)) != {obj.pk for obj in wanted}:
                    manager.set(wanted)
                    if outcome == "unchanged":
                        outcome = "updated"
            if owned is not None and owned(instance) and outcome == "unchanged":
                outcome = "updated"
        if isinstance(instance, ContentModel) and outcome != "unchanged":
            record_history(instance, reason=f"loaded from {self.source_name}", created=created)
        self.report.count(outcome, label)
        return instance, True

    def load(self) -> LoadReport:
        self.check_shape()
        for section in SECTIONS:
            for row in self.data.get(section.key, []):
                values: dict[str, Any] = {}
                for name in section.fields:
                    # A field the file leaves out takes its default: the file is the whole truth for its rows.
                    values[name] = row[name] if name in row else section.model._meta.get_field(name).get_default()
                for name, resolve in section.relations.items():
                    values[name] = resolve(self, row.get(name))
                values["status"] = row.get("status", Status.PUBLISHED)
                if section.model is Procedure:
                    values["requirements"] = "\n".join(row.get("requirements", []))
                links = {name: resolve(self, row.get(name)) for name, resolve in section.links.items()}
                owned = None
                if section.model is Procedure:
                    owned = functools.partial(self.steps, rows=row.get("steps", []))
                if section.model is CardType:
                    owned = functools.partial(self.availability, rows=row.get("availability", []))
                self.upsert(section.model, {"slug": row["slug"]}, values, links, owned)
        return self.report

    def steps(self, procedure: Procedure, rows: list[dict]) -> bool:
        """Makes the procedure's steps what the file says; whether any changed."""
        if not rows:
            raise ContentError(f"procedure {procedure.slug}: a procedure needs at least one step")
        for row in rows:
            if unknown := set(row) - {"instruction", "ui_path", "channel"}:
                raise ContentError(f"procedure {procedure.slug}: unknown step keys {sorted(unknown)}")
        before = sum(self.report.created.values()) + sum(self.report.updated.values())
        # Steps beyond the fixture's last one are leftovers of a longer earlier version.
        stale = procedure.steps.filter(position__gt=len(rows))
        if stale.exists():
            stale.delete()
            self.report.count("updated", "step")
        for position, row in enumerate(rows, start=1):
            values = {
                "instruction": row["instruction"],
                "ui_path": row.get("ui_path", ""),
                # Only a step done elsewhere names its channel; the procedure's own is not repeated.
                "channel": _channel(self, row["channel"]) if row.get("channel") else None,
            }
            self.upsert(Step, {"procedure": procedure, "position": position}, values, {})
        return sum(self.report.created.values()) + sum(self.report.updated.values()) != before

    def availability(self, card_type: CardType, rows: list[dict]) -> bool:
        """Makes where and when the card type is issued what the file says, one statement per region; whether any
        changed."""
        keys = {"region", "issued_from", "withdrawn_from", "source", "note"}
        before = sum(self.report.created.values()) + sum(self.report.updated.values())
        wanted = []
        for row in rows:
            if unknown := set(row) - keys:
                raise ContentError(f"card_type {card_type.slug}: unknown availability keys {sorted(unknown)}")
            if not row.get("source"):
                raise ContentError(f"card_type {card_type.slug}: every availability statement cites its source")
            region = self.region(row.get("region"))
            wanted.append(region.pk)
            values = {
                "issued_from": row.get("issued_from"),
                "withdrawn_from": row.get("withdrawn_from"),
                "source": self.by_slug(Source, row["source"]),
                "note": row.get("note", ""),
            }
            self.upsert(CardTypeAvailability, {"card_type": card_type, "region": region}, values, {})
        stale = card_type.availability.exclude(region__in=wanted)
        if stale.exists():
            stale.delete()
            self.report.count("updated", "cardtypeavailability")
        return sum(self.report.created.values()) + sum(self.report.updated.values()) != before


def load_content(path: Path = DEFAULT_FIXTURE, *, missing_only: bool = False) -> LoadReport:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    with transaction.atomic():
        return Loader(data, missing_only=missing_only, source_name=Path(path).name).load()
