"""Builders for objects the tests need beyond the curated content."""

import itertools

from model_bakery import baker

from passwords.models import CardType, DefaultPasswordRule
from procedures.models import Channel, Procedure, Step
from regions.models import Region
from sources.models import Source

_numbers = itertools.count(1)


def made(model: type, **fields):
    """baker.make with a slug content accepts (lower-case, hyphens): baker's random slugs hold capitals."""
    fields.setdefault("slug", f"test-{model._meta.model_name}-{next(_numbers)}")
    return baker.make(model, **fields)


def make_source(**fields) -> Source:
    fields.setdefault("title", "测试来源")
    fields.setdefault("publisher", "测试")
    return made(Source, **fields)


def published_evidence() -> Source:
    """A published source to cite (content citing a draft source cannot be published): a seeded one where the content
    is loaded, so that citing it is no public change of its own."""
    return Source.objects.filter(status="published").order_by("pk").first() or make_source(status="published")


def make_card_type(**fields) -> CardType:
    fields.setdefault("medium", "physical")
    fields.setdefault("has_financial_account", True)
    return made(CardType, **fields)


def make_rule(**fields) -> DefaultPasswordRule:
    fields.setdefault("region", Region.objects.get(code="420100"))
    fields.setdefault("password", "medical_account")
    fields.setdefault("kind", "fixed")
    fields.setdefault("value", "123456" if fields["kind"] == "fixed" else "")
    fields.setdefault("standing", "unverified")
    fields.setdefault("card_type", None)
    rule = made(DefaultPasswordRule, **fields)
    rule.sources.add(published_evidence())
    return rule


def make_channel(**fields) -> Channel:
    fields.setdefault("region", Region.objects.national())
    fields.setdefault("kind", "counter")
    fields.setdefault("phone", "")
    # Published, so that a published procedure through it is served.
    fields.setdefault("status", "published")
    return made(Channel, **fields)


def make_procedure(*, steps: int = 3, **fields) -> Procedure:
    fields.setdefault("region", Region.objects.national())
    fields.setdefault("kind", "change_password")
    fields.setdefault("standing", "unverified")
    fields.setdefault("channel", make_channel())
    procedure = made(Procedure, **fields)
    procedure.sources.add(published_evidence())
    for position in range(1, steps + 1):
        Step.objects.create(procedure=procedure, position=position, instruction=f"第{position}步")
    return procedure
