"""Rule and policy constraints: the database refuses bad rows, full_clean explains them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from passwords.models import CardType, DefaultPasswordRule, PasswordPolicy
from regions.models import Region
from tests.factories import make_rule

pytestmark = pytest.mark.django_db


def rule(**fields) -> DefaultPasswordRule:
    values = {
        "slug": "test-rule",
        "region": Region.objects.get(code="420100"),
        "password": "medical_account",
        "kind": "fixed",
        "value": "123456",
        "standing": "unverified",
    }
    return DefaultPasswordRule(**(values | fields))


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "fixed", "value": ""},
        {"kind": "fixed", "value": "12a456"},
        {"kind": "fixed", "value": "123"},
        {"kind": "id_last6", "value": "123456"},
        {"kind": "none", "value": "000000"},
        {"valid_from": datetime.date(2022, 3, 2), "valid_until": datetime.date(2022, 3, 1)},
        {"kind": "birthday", "value": ""},
        {"password": "pin"},
        {"standing": "rumour"},
    ],
)
def test_database_rejects_an_incoherent_rule(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        rule(**fields).save()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "fixed", "value": ""}, "value", "needs its value"),
        ({"kind": "fixed", "value": "12a456"}, "value", "4 to 12 digits"),
        ({"kind": "id_last6", "value": "123456"}, "value", "Only a fixed rule has a value"),
        ({"kind": "birthday", "value": ""}, "kind", "not a valid choice"),
    ],
)
def test_full_clean_names_the_field_and_the_fix(fields, field, message):
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            rule(**fields).full_clean()
        assert message in " ".join(error.value.message_dict[field])


def test_full_clean_rejects_a_reversed_validity_period():
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            rule(valid_from=datetime.date(2022, 3, 2), valid_until=datetime.date(2022, 3, 1)).full_clean()
        assert "cannot be earlier" in str(error.value)


def test_a_valid_rule_passes_full_clean():
    rule(kind="fixed", value="1234").full_clean()
    rule(slug="other", kind="none", value="").full_clean()


@pytest.mark.parametrize(
    ("day", "valid"),
    [("2021-12-31", False), ("2022-01-01", True), ("2022-03-01", True), ("2022-03-02", False)],
)
def test_validity_is_inclusive_of_both_ends_in_sql_and_in_the_lookup_s_rows(day, valid):
    from lookup.precedence import valid_on

    r = make_rule(slug="bounded", valid_from=datetime.date(2022, 1, 1), valid_until=datetime.date(2022, 3, 1))
    day = datetime.date.fromisoformat(day)
    assert DefaultPasswordRule.objects.valid_on(day).filter(pk=r.pk).exists() == valid
    row = {"valid_from": "2022-01-01", "valid_until": "2022-03-01"}
    assert bool(valid_on([row], day)) == valid


def test_a_region_with_rules_cannot_be_deleted():
    from django.db.models import ProtectedError

    made = make_rule(region=Region.objects.get(code="420102"))
    with pytest.raises(ProtectedError):
        made.region.delete()


def policy(**fields) -> PasswordPolicy:
    values = {
        "slug": "test-policy",
        "region": Region.objects.get(code="420100"),
        "password": "medical_account",
        "standing": "unverified",
        "min_length": 6,
        "max_length": 6,
        "allowed_characters": "digits",
    }
    return PasswordPolicy(**(values | fields))


@pytest.mark.parametrize(
    "fields",
    [{"min_length": 8, "max_length": 6}, {"min_length": 0, "max_length": 6}, {"unlock": "automatic"}],
)
def test_database_rejects_an_incoherent_policy(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        policy(**fields).save()


def test_disagreeing_policies_for_one_scope_can_both_be_kept():
    policy().save()
    policy(slug="second", min_length=6, max_length=12, allowed_characters="digits_or_letters").save()
    assert PasswordPolicy.objects.filter(slug__in=["test-policy", "second"]).count() == 2


def test_card_type_names_are_unique():
    existing = CardType.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        CardType.objects.create(slug="copy", name=existing.name, medium="physical", has_financial_account=False)
