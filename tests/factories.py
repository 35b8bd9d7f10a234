"""Builders for objects the tests need beyond the curated content."""

from model_bakery import baker

from passwords.models import CardType, DefaultPasswordRule
from procedures.models import Channel, Procedure, Step
from regions.models import Region
from sources.models import Source


def make_source(**fields) -> Source:
    fields.setdefault("title", "测试来源")
    fields.setdefault("publisher", "测试")
    return baker.make(Source, **fields)


def make_card_type(**fields) -> CardType:
    fields.setdefault("medium", "physical")
    fields.setdefault("has_financial_account", True)
    return baker.make(CardType, **fields)


def make_rule(**fields) -> DefaultPasswordRule:
    fields.setdefault("region", Region.objects.get(code="420100"))
    fields.setdefault("password", "medical_account")
    fields.setdefault("kind", "fixed")
    fields.setdefault("value", "123456" if fields["kind"] == "fixed" else "")
    fields.setdefault("standing", "unverified")
    fields.setdefault("card_type", None)
    rule = baker.make(DefaultPasswordRule, **fields)
    rule.sources.add(make_source())
    return rule


def make_channel(**fields) -> Channel:
    fields.setdefault("region", Region.objects.national())
    fields.setdefault("kind", "counter")
    fields.setdefault("phone", "")
    # Published, so that a published procedure through it is served.
    fields.setdefault("status", "published")
    return baker.make(Channel, **fields)


def make_procedure(*, steps: int = 3, **fields) -> Procedure:
    fields.setdefault("region", Region.objects.national())
    fields.setdefault("kind", "change_password")
    fields.setdefault("standing", "unverified")
    fields.setdefault("channel", make_channel())
    procedure = baker.make(Procedure, **fields)
    procedure.sources.add(make_source())
    for position in range(1, steps + 1):
        Step.objects.create(procedure=procedure, position=position, instruction=f"第{position}步")
    return procedure
