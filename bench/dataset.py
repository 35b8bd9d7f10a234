"""A national-scale dataset for the benchmark: rules, a policy, channels and procedures for every province and
prefecture, on top of the curated content. Rows are marked by a `bench-` slug, so building again replaces them."""

import random
from dataclasses import dataclass

from django.db import connection, transaction

from curation.revisions import bump_revision
from passwords.models import CardType, DefaultPasswordRule, PasswordPolicy, PolicyCitation, RuleCitation
from procedures.models import Channel, ChannelCitation, Procedure, ProcedureCitation, Step
from regions.models import Region
from sources.models import Source

PREFIX = "bench-"
PROCEDURE_KINDS = ["change_password", "reset_password", "activate_medical_account", "unlock", "report_loss"]


@dataclass
class DatasetSize:
    regions: int
    rows: int


def clear_dataset() -> None:
    for model in (Procedure, Channel, DefaultPasswordRule, PasswordPolicy):
        model.objects.filter(slug__startswith=PREFIX).delete()
    Source.objects.filter(slug__startswith=PREFIX).delete()


@transaction.atomic
def build_dataset(*, limit: int | None = None, seed: int = 2026) -> DatasetSize:
    """Adds content to every province and prefecture (or the first `limit` of them); returns what it made."""
    clear_dataset()
    rng = random.Random(seed)
    regions = list(Region.objects.filter(level__in=["province", "prefecture"]).order_by("code")[:limit])
    source = Source.objects.create(
        slug=f"{PREFIX}source", title="基准测试数据", publisher="Yibao KB benchmark", status="published"
    )
    card_types = list(CardType.objects.order_by("slug"))
    published = {"status": "published"}

    rules, policies, channels, procedures = [], [], [], []
    for region in regions:
        code = region.code
        rules.append(DefaultPasswordRule(
            slug=f"{PREFIX}{code}-fixed", region=region, password="medical_account", kind="fixed",
            value=f"{rng.randrange(10**6):06d}", standing="unverified", valid_until="2030-12-31", **published,
        ))  # fmt: skip
        rules.append(DefaultPasswordRule(
            slug=f"{PREFIX}{code}-financial", region=region, card_type=card_types[1], password="financial_account",
            kind="id_last6", standing="unverified", must_change_before_use=True, **published,
        ))  # fmt: skip
        policies.append(PasswordPolicy(
            slug=f"{PREFIX}{code}-policy", region=region, password="medical_account", min_length=6, max_length=6,
            allowed_characters="digits", standing="unverified", unlock="automatic", unlock_after_hours=24, **published,
        ))  # fmt: skip
        channels.append(Channel(
            slug=f"{PREFIX}{code}-hotline", kind="hotline", name=f"{region.name}医保服务热线",
            phone=f"0{rng.randrange(100, 999)}-{rng.randrange(10000, 99999)}", region=region, **published,
        ))  # fmt: skip
        channels.append(Channel(
            slug=f"{PREFIX}{code}-counter", kind="counter", name=f"{region.name}医保经办窗口", region=region,
            opening_hours="工作日 9:00–17:00", **published,
        ))  # fmt: skip
    DefaultPasswordRule.objects.bulk_create(rules)
    PasswordPolicy.objects.bulk_create(policies)
    Channel.objects.bulk_create(channels)
    channels_by_region = {channel.region_id: channel for channel in channels if channel.kind == "counter"}
    for region in regions:
        for index, kind in enumerate(PROCEDURE_KINDS):
            procedures.append(Procedure(
                slug=f"{PREFIX}{region.code}-{kind}", kind=kind, title=f"{region.name}：{kind}（第{index + 1}种办法）",
                summary="基准测试用的办理流程。", region=region, channel=channels_by_region[region.pk],
                holder_must_be_present=True, requirements="身份证\n社会保障卡", standing="unverified", **published,
            ))  # fmt: skip
    Procedure.objects.bulk_create(procedures)
    steps = [
        Step(procedure=procedure, position=position, instruction=f"第{position}步：按窗口工作人员的指引办理。")
        for procedure in procedures
        for position in range(1, rng.randint(5, 10) + 1)
    ]
    Step.objects.bulk_create(steps, batch_size=2000)
    Procedure.card_types.through.objects.bulk_create(
        [
            Procedure.card_types.through(procedure=p, cardtype=card_types[i % len(card_types)])
            for i, p in enumerate(procedures)
        ]
    )
    citations = (
        [RuleCitation(rule=rule, source=source) for rule in rules]
        + [PolicyCitation(policy=policy, source=source) for policy in policies]
        + [ChannelCitation(channel=channel, source=source) for channel in channels]
        + [ProcedureCitation(procedure=procedure, source=source) for procedure in procedures]
    )
    for citation_model in (RuleCitation, PolicyCitation, ChannelCitation, ProcedureCitation):
        citation_model.objects.bulk_create([c for c in citations if type(c) is citation_model], batch_size=2000)
    # bulk_create sends no signals: tell every cache that content changed (the change feed is left out: nobody
    # keeps an offline copy of the benchmark's rows).
    bump_revision(public=True)
    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum would gather them on a live database; without them the planner
        # takes the just-filled tables for nearly empty ones.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    rows = len(rules) + len(policies) + len(channels) + len(procedures) + len(steps) + len(citations) + len(procedures)
    return DatasetSize(regions=len(regions), rows=rows)
