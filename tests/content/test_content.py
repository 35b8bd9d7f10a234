"""The curated content: sourced, ordered, complete for the regions the sources name, and loaded idempotently."""

import datetime
import os
import re
from pathlib import Path

import pytest
import yaml

from content.loader import DEFAULT_FIXTURE, load_content
from passwords.models import CardType, DefaultPasswordRule, PasswordPolicy
from procedures.models import Channel, Faq, Procedure
from sources.models import Source

pytestmark = pytest.mark.django_db

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
# Numbers, dates, UI paths and product names may repeat a source; wording, a run of Chinese characters, may not.
CJK = re.compile(r"[\u4e00-\u9fff]")
SOURCED = [CardType, DefaultPasswordRule, PasswordPolicy, Channel, Procedure, Faq]


@pytest.mark.parametrize("model", SOURCED, ids=lambda m: m.__name__)
def test_every_fact_cites_a_source(model):
    assert model.objects.exists()
    assert not model.objects.filter(sources__isnull=True).exists()


def test_every_source_is_cited():
    assert Source.objects.count() == 5
    for source in Source.objects.all():
        relations = ("card_types", "channels", "procedures", "faqs", "password_rules", "password_policies")
        cited = sum(getattr(source, name).count() for name in relations)
        assert cited, f"{source} is cited by nothing"


def test_step_positions_run_from_one_without_gaps():
    for procedure in Procedure.objects.prefetch_related("steps"):
        assert [step.position for step in procedure.steps.all()] == list(range(1, procedure.steps.count() + 1))
        assert procedure.steps.exists(), procedure.slug


def rules(code: str, **filters):
    return DefaultPasswordRule.objects.filter(region__code=code, **filters)


@pytest.mark.parametrize(
    ("code", "kind", "value"),
    [
        ("420100", "fixed", "1234"),  # 武汉
        ("310000", "none", ""),  # 上海: the holder sets it
        ("410700", "fixed", "123456"),  # 新乡
        ("410000", "fixed", "123456"),  # the rest of 河南
        ("130700", "fixed", "123456"),  # 张家口
        ("140221", "fixed", "000000"),  # 阳高县
    ],
)
def test_region_specific_rules_are_present(code, kind, value):
    assert rules(code, kind=kind, value=value, password="medical_account").exists()


def test_zhangjiakou_123456_stops_being_usable_on_2022_03_02():
    before = rules("130700", value="123456", valid_until=datetime.date(2022, 3, 1), must_change_before_use=False)
    after = rules("130700", value="123456", valid_from=datetime.date(2022, 3, 2), must_change_before_use=True)
    assert before.exists() and after.exists()


def test_yanggao_000000_holds_for_new_and_previously_insured():
    assert set(rules("140221", value="000000").values_list("enrolment", flat=True)) >= {"new", "existing"}
    assert all(rules("140221", value="000000").values_list("must_change_before_use", flat=True))


def test_disputed_zhangjiakou_claims_are_kept_as_unverified():
    assert rules("130700", standing="unverified").exclude(value="123456").exists()


@pytest.mark.parametrize(
    ("code", "phone"), [("510700", "0816-12393"), ("510600", "0838-26733"), ("310000", "23111111"), ("000000", "12333")]
)
def test_hotlines_are_present(code, phone):
    assert Channel.objects.filter(region__code=code, kind="hotline", phone=phone).exists()


def test_beijing_platform_and_its_reset_procedure_are_present():
    platform = Channel.objects.get(region__code="110000", url__contains="fw.ybj.beijing.gov.cn")
    assert platform.procedures.filter(kind="reset_password").exists()


def test_henan_financial_activation_is_in_person_at_the_bank():
    procedure = Procedure.objects.filter(region__code__in=["410000", "410700"], kind="activate_financial_account").get()
    assert procedure.holder_must_be_present and procedure.channel.kind == "bank"


def test_national_app_change_has_its_steps_in_order():
    procedure = Procedure.objects.get(slug="change-password-nhsa-app")
    steps = list(procedure.steps.all())
    assert [step.ui_path for step in steps] == ["", "【医保码】→【修改密码】", "", ""]
    assert "人脸" in steps[2].instruction and "6位" in steps[3].instruction


def test_nationwide_hearsay_sits_on_the_national_root_unless_a_source_names_the_region():
    hearsay = DefaultPasswordRule.objects.filter(kind="fixed", value__in=["888888", "111111", "666666"])
    # Only 张家口's article names a region for any of them, and only as a guess.
    assert set(hearsay.values_list("region__code", flat=True)) == {"000000", "130700"}
    # All of it comes from pages of one site: one voice, however often it repeats the list.
    assert set(hearsay.values_list("standing", flat=True)) == {"unverified"}
    assert rules("000000", kind="id_last6", standing="unverified").exists()


def test_first_generation_cards_use_the_birth_date():
    assert DefaultPasswordRule.objects.filter(kind="birthdate_yymmdd", card_type__slug="ssc-gen1").exists()


def test_loading_twice_changes_nothing():
    counts = {model: model.objects.count() for model in [*SOURCED, Source]}
    report = load_content()
    assert not report.changed, (report.created, report.updated)
    assert counts == {model: model.objects.count() for model in counts}


def test_loading_restores_an_edited_fact():
    DefaultPasswordRule.objects.filter(region__code="420100", value="1234").update(value="9999")
    report = load_content()
    assert report.updated == {"defaultpasswordrule": 1}
    assert rules("420100", value="1234").exists()


def text_fields(node) -> list[str]:
    """The prose of the fixture: page titles, identifiers, addresses and phone numbers are quoted on purpose."""
    if isinstance(node, dict):
        return [
            text
            for key, value in node.items()
            if key not in {"title", "slug", "url", "phone"}
            for text in text_fields(value)
        ]
    if isinstance(node, list):
        return [text for item in node for text in text_fields(item)]
    return [node] if isinstance(node, str) else []


@pytest.mark.skipif(
    not SEEDS.is_dir() and not os.environ.get("CI"), reason="the seed documents live in ../shared beside the checkout"
)
def test_no_sentence_is_copied_from_the_sources():
    seeds = re.sub(r"\s+", "", "".join(path.read_text(encoding="utf-8") for path in SEEDS.glob("*.txt")))
    assert seeds, f"no seed documents in {SEEDS}"
    content = yaml.safe_load(DEFAULT_FIXTURE.read_text(encoding="utf-8"))
    # A page is cited under its own title, so source titles are the one place the seeds' words belong.
    content["sources"] = [{k: v for k, v in source.items() if k != "title"} for source in content["sources"]]
    texts = text_fields(content)
    window = 12
    copied = {
        text[i : i + window]
        for text in (re.sub(r"\s+", "", t) for t in texts)
        for i in range(len(text) - window + 1)
        if len(CJK.findall(text[i : i + window])) >= window - 2
        and "【" not in text[i : i + window]
        and "】" not in text[i : i + window]
        and text[i : i + window] in seeds
    }
    assert not copied, copied


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "content.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


SOURCE = {"slug": "s", "title": "测试来源", "publisher": "测试"}
RULE = {
    "slug": "r",
    "region": "420102",
    "password": "medical_account",
    "kind": "fixed",
    "value": "123456",
    "standing": "unverified",
    "valid_until": datetime.date(2022, 3, 1),
    "sources": ["s"],
}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sources": [SOURCE], "rules": [RULE | {"vaild_from": "2022-01-01"}]}, "unknown keys ['vaild_from']"),
        ({"sources": [SOURCE, SOURCE]}, "the slug appears twice"),
        ({"sources": [SOURCE], "rules": [RULE | {"sources": []}]}, "cites at least one source"),
        ({"sources": [SOURCE], "rules": [RULE | {"value": "12ab56"}]}, "4 to 12 digits"),
        ({"sources": [SOURCE], "rule": []}, "unknown lists"),
    ],
)
def test_a_bad_file_is_refused_whole_with_the_row_named(tmp_path, data, message):
    from django.utils import translation

    from content.loader import ContentError

    before = Source.objects.count()
    with translation.override("en"), pytest.raises(ContentError, match=re.escape(message)):
        load_content(write(tmp_path, data))
    assert Source.objects.count() == before


def test_a_field_left_out_of_the_file_returns_to_its_default(tmp_path):
    load_content(write(tmp_path, {"sources": [SOURCE], "rules": [RULE]}))
    without_end = {k: v for k, v in RULE.items() if k != "valid_until"}
    load_content(write(tmp_path, {"sources": [SOURCE], "rules": [without_end]}))
    assert DefaultPasswordRule.objects.get(slug="r").valid_until is None


def test_missing_only_keeps_staff_edits_and_adds_new_rows(tmp_path):
    DefaultPasswordRule.objects.filter(slug="wuhan-fixed-1234").update(status="archived")
    procedure = Procedure.objects.get(slug="change-password-nhsa-app")
    procedure.steps.filter(position=1).update(instruction="馆员改过的说明")

    report = load_content(missing_only=True)

    assert not report.changed
    assert DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234").status == "archived"
    assert procedure.steps.get(position=1).instruction == "馆员改过的说明"
    load_content(write(tmp_path, {"sources": [SOURCE], "rules": [RULE]}), missing_only=True)
    assert DefaultPasswordRule.objects.filter(slug="r").exists()
