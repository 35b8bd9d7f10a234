"""Import and export of card types (with where they are issued) and default-password rules in the admin (CSV, XLSX):
columns by public identifier.

A card type's availability travels in one column, one statement per line, in the order of the regions' codes:

    410000 issued - withdrawn 2020-01-01 | xinxiang-yibaoka-yuanshi-mima | 河南2020年起停发
    110000 issued 2019-01-01 withdrawn - | jumin-yibaoka-chushi-mima

A line is the region's six-digit code, the day it was first issued and the day it was withdrawn (YYYY-MM-DD, or `-`
when the source does not say), then the source's slug and, after a second ` | `, the note (which may be left out).
An empty cell states nothing: the card type has no statement.
"""

import datetime
import re
from collections import Counter
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, widgets

from curation.models import linked_rows
from curation.resources import (
    CodeOrSlugWidget,
    ContentResource,
    DateWidget,
    LinksField,
    OwnedRowsField,
    SlugListWidget,
    validation_messages,
)
from regions.models import Region
from sources.models import Source

from .models import CardType, CardTypeAvailability, DefaultPasswordRule

SEPARATOR = " | "
DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}|-"
WHERE_AND_WHEN = re.compile(
    rf"^(?P<region>[0-9]{{6}})\s+issued\s+(?P<issued_from>{DAY})\s+withdrawn\s+(?P<withdrawn_from>{DAY})$"
)


class AvailabilityLineError(ValueError):
    """A line of the availability column that does not have the form the column takes."""


def parsed_line(line: str) -> dict:
    """One line of the column as a statement in the shape history holds it (`CardTypeAvailability.snapshot`)."""
    where_and_when, _separator, rest = line.partition(SEPARATOR.strip())
    found = WHERE_AND_WHEN.match(" ".join(where_and_when.split()))
    source, _separator, note = rest.partition(SEPARATOR.strip())
    if found is None or not source.strip():
        raise AvailabilityLineError(
            _("write it as “410000 issued - withdrawn 2020-01-01 | source-slug | note” (a day or “-”).")
        )
    days = {}
    for name in ("issued_from", "withdrawn_from"):
        try:
            days[name] = None if found[name] == "-" else datetime.date.fromisoformat(found[name]).isoformat()
        except ValueError:
            raise AvailabilityLineError(_("there is no day %(day)s.") % {"day": found[name]}) from None
    return {"region": found["region"], **days, "source": source.strip(), "note": note.strip()}


def rendered_line(row: dict) -> str:
    days = " ".join(
        f"{word} {row[name] or '-'}" for word, name in (("issued", "issued_from"), ("withdrawn", "withdrawn_from"))
    )
    # One line per statement: a line break typed inside a note would split it in two on import.
    note = " ".join(row["note"].splitlines())
    return SEPARATOR.join(part for part in (f"{row['region']} {days}", row["source"], note) if part)


class AvailabilityWidget(widgets.Widget):
    """The availability column: parsed into statements (as history holds them), by region; the regions and sources
    the whole column names are read at once (`prefetch`)."""

    regions: dict[str, Region] | None = None
    sources: dict[str, Source] | None = None

    @staticmethod
    def lines(value) -> list[str]:
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]

    def prefetch(self, values: Iterable) -> None:
        regions, sources = set(), set()
        for value in values:
            for line in self.lines(value):
                try:
                    row = parsed_line(line)
                except AvailabilityLineError:
                    continue
                regions.add(row["region"])
                sources.add(row["source"])
        self.regions, self.sources = linked_rows(Region, regions), linked_rows(Source, sources)

    def clean(self, value, row=None, **kwargs) -> list[dict]:
        statements, problems = [], []
        for number, line in enumerate(self.lines(value), start=1):
            try:
                statements.append(parsed_line(line))
            except AvailabilityLineError as error:
                problems.append(_("Availability line %(number)d: %(message)s") % {"number": number, "message": error})
        if problems:
            raise ValueError(" ".join(problems))
        return sorted(statements, key=lambda statement: statement["region"])

    def render(self, value, obj=None, **kwargs) -> str:
        return "\n".join(rendered_line(row) for row in value or [])


class AvailabilityField(OwnedRowsField):
    """The availability column: each statement checked like the admin checks one, and written after the card type is
    saved, replacing every statement it had."""

    def save(self, instance, row, is_m2m=False, **kwargs) -> None:
        statements = self.clean(row, **kwargs)
        widget = self.widget
        if widget.regions is None:
            widget.prefetch([row[self.column_name]])
        problems = []
        repeated = [region for region, count in Counter(s["region"] for s in statements).items() if count > 1]
        if repeated:
            problems.append(
                _("Availability: each region is stated once; %(regions)s appear more than once.")
                % {"regions": ", ".join(repeated)}
            )
        rows = []
        for statement in statements:
            region, source = widget.regions.get(statement["region"]), widget.sources.get(statement["source"])
            if region is None:
                problems.append(_("No region has the code “%(value)s”.") % {"value": statement["region"]})
            if source is None:
                problems.append(
                    _("No %(model)s has the slug “%(value)s”.")
                    % {"model": Source._meta.verbose_name, "value": statement["source"]}
                )
            if region is None or source is None:
                continue
            availability = CardTypeAvailability(
                card_type=instance,
                region=region,
                source=source,
                issued_from=statement["issued_from"] and datetime.date.fromisoformat(statement["issued_from"]),
                withdrawn_from=statement["withdrawn_from"] and datetime.date.fromisoformat(statement["withdrawn_from"]),
                note=statement["note"],
            )
            try:
                # The region and the source were read above; the one-per-region rule was checked on the whole cell.
                availability.full_clean(exclude=["card_type", "region", "source"], validate_unique=False)
            except ValidationError as error:
                problems.extend(
                    _("Availability in %(region)s: %(message)s") % {"region": statement["region"], "message": message}
                    for message in validation_messages(error)
                )
            rows.append(availability)
        if problems:
            raise ValueError(" ".join(problems))
        instance._import_availability = statements
        instance._import_availability_rows = rows

    def stored_rows(self, instance) -> list[dict]:
        rows = CardTypeAvailability.objects.filter(card_type=instance).select_related("region", "source")
        return [row.snapshot() for row in rows.order_by("region__code")]


def new_availability(instance: CardType) -> list[CardTypeAvailability]:
    rows = instance.__dict__.get("_import_availability_rows") or []
    for row in rows:
        # Built before the card type had a primary key (a new row of the file).
        row.card_type = instance
    return rows


class CardTypeResource(ContentResource):
    sources = LinksField(attribute="sources", column_name="sources", widget=SlugListWidget(Source))
    availability = AvailabilityField(attribute="availability", column_name="availability", widget=AvailabilityWidget())

    class Meta(ContentResource.Meta):
        model = CardType
        fields = (
            "slug", "name", "short_name", "medium", "has_financial_account", "description", "sources", "availability",
            "status",
        )  # fmt: skip
        export_order = fields
        import_order = fields

    def prefetch_current(self, objects: list[CardType]) -> None:
        super().prefetch_current(objects)
        by_pk = {obj.pk: obj for obj in objects}
        for obj in objects:
            obj.__dict__["_import_current_availability"] = []
        rows = CardTypeAvailability.objects.filter(card_type__in=by_pk).select_related("region", "source")
        for row in rows.order_by("card_type", "region__code"):
            by_pk[row.card_type_id].__dict__["_import_current_availability"].append(row.snapshot())

    def snapshot(self, instance: CardType) -> dict[str, list]:
        return super().snapshot(instance) | {"availability": instance.__dict__.get("_import_availability") or []}

    def save_owned_rows_in_bulk(self, instances: list[CardType]) -> None:
        CardTypeAvailability.objects.bulk_create(row for instance in instances for row in new_availability(instance))

    def save_owned_rows(self, instance: CardType) -> None:
        if instance.__dict__.get("_import_availability") is None:
            return
        # Replaced as a whole, as the staff API and the admin's inline do.
        CardTypeAvailability.objects.filter(card_type=instance).delete()
        CardTypeAvailability.objects.bulk_create(new_availability(instance))


class DefaultPasswordRuleResource(ContentResource):
    region = fields.Field(attribute="region", column_name="region", widget=CodeOrSlugWidget(Region, field="code"))
    card_type = fields.Field(
        attribute="card_type", column_name="card_type", widget=CodeOrSlugWidget(CardType, field="slug")
    )
    valid_from = fields.Field(attribute="valid_from", column_name="valid_from", widget=DateWidget())
    valid_until = fields.Field(attribute="valid_until", column_name="valid_until", widget=DateWidget())
    sources = LinksField(attribute="sources", column_name="sources", widget=SlugListWidget(Source))

    class Meta(ContentResource.Meta):
        model = DefaultPasswordRule
        fields = (
            "slug",
            "region",
            "card_type",
            "password",
            "kind",
            "value",
            "insurance",
            "enrolment",
            "medium",
            "valid_from",
            "valid_until",
            "must_change_before_use",
            "standing",
            "note",
            "sources",
            "status",
        )
        export_order = fields
        import_order = fields
