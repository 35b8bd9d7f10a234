"""Where and when a card type is issued, rules for physical cards only, and a policy's limit on changes stated as
known, unlimited or unknown: the models' validation, the admin, the public and staff API."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from passwords.models import CardType, CardTypeAvailability, DefaultPasswordRule, PasswordPolicy
from regions.models import Region
from sources.models import Source
from tests.admin_forms import form_data
from tests.factories import make_card_type, make_rule
from tests.http import assert_problem
from tests.staff import SOURCE, rule_body, staff_client, write

pytestmark = pytest.mark.django_db


def policy(**fields) -> PasswordPolicy:
    return PasswordPolicy(
        slug="test-policy",
        region=Region.objects.get(code="420100"),
        password="medical_account",
        standing="unverified",
        **fields,
    )


def messages(error: ValidationError) -> str:
    return " ".join(message for values in error.message_dict.values() for message in values)


def test_a_policy_may_state_a_lock_out_alone():
    alone = policy(lockout_after_attempts=3, unlock="automatic", unlock_after_hours=24)
    alone.full_clean()
    alone.save()
    assert (alone.min_length, alone.max_length, alone.change_limit_state) == (None, None, "unknown")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "__all__"),  # states nothing at all
        ({"min_length": 6}, "max_length"),  # one length without the other
        ({"min_length": 6, "max_length": 6, "change_limit_state": "limited"}, "change_limit"),
        ({"min_length": 6, "max_length": 6, "change_limit_state": "unlimited", "change_limit": 3}, "change_limit"),
        ({"min_length": 6, "max_length": 6, "change_limit": 3}, "change_limit"),  # a number while "unknown"
    ],
)
def test_policies_that_do_not_say_what_they_mean_are_refused(fields, field):
    with pytest.raises(ValidationError) as refused:
        policy(**fields).full_clean()
    assert field in refused.value.message_dict, refused.value.message_dict


def test_the_database_refuses_a_number_of_changes_without_a_limit_too():
    row = policy(min_length=6, max_length=6, change_limit_state="unlimited", change_limit=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_the_api_tells_unknown_from_unlimited(client):
    unlimited = client.get("/api/v1/password-policies/national-voucher-payment-6-digits/").json()
    assert (unlimited["change_limit_state"], unlimited["change_limit"]) == ("unlimited", None)
    unknown = client.get("/api/v1/password-policies/xinxiang-medical-6-digits/").json()
    assert (unknown["change_limit_state"], unknown["change_limit"]) == ("unknown", None)
    in_lookup = client.get("/api/v1/lookup/", {"region": "410700"}).json()["password_policy"]
    assert {p["change_limit_state"] for p in in_lookup} >= {"unknown"}


def test_staff_write_a_limited_policy_and_a_bad_one_is_a_400():
    publisher = staff_client("publishers")
    body = {
        "slug": "api-test-policy",
        "region": "420100",
        "card_type": None,
        "password": "medical_account",
        "standing": "unverified",
        "change_limit_state": "limited",
        "change_limit": 5,
        "sources": [SOURCE],
    }
    created = write(publisher, "post", "/api/v1/password-policies/", body)
    assert created.status_code == 201, created.content
    assert (created.json()["min_length"], created.json()["change_limit"]) == (None, 5)
    refused = write(publisher, "post", "/api/v1/password-policies/", {**body, "slug": "x", "change_limit": None})
    assert_problem(refused, 400, "invalid_parameter", "change_limit")


def test_a_rule_for_physical_cards_cannot_name_an_electronic_card():
    rule = make_rule(medium="physical")
    rule.full_clean()
    rule.card_type = CardType.objects.get(slug="electronic-ssc")
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert "medium" in refused.value.message_dict


def test_the_staff_api_and_the_admin_write_a_rules_media_scope(admin_client):
    publisher = staff_client("publishers")
    created = write(publisher, "post", "/api/v1/password-rules/", rule_body(medium="physical"))
    assert created.status_code == 201 and created.json()["medium"] == "physical"
    refused = write(publisher, "post", "/api/v1/password-rules/", rule_body(slug="other", medium="paper"))
    assert_problem(refused, 400, "invalid_parameter", "medium")

    rule = make_rule()
    url = reverse("admin:passwords_defaultpasswordrule_change", args=[rule.pk])
    data = form_data(admin_client.get(url).content)
    data["medium"] = ["physical"]
    assert admin_client.post(url, data).status_code == 302
    assert DefaultPasswordRule.objects.get(pk=rule.pk).medium == "physical"


def availability(**fields) -> CardTypeAvailability:
    fields.setdefault("card_type", make_card_type())
    fields.setdefault("region", Region.objects.get(code="420000"))
    fields.setdefault("source", Source.objects.get(slug=SOURCE))
    return CardTypeAvailability(**fields)


@pytest.mark.parametrize(
    ("dates", "field"),
    [
        ({}, "__all__"),
        ({"issued_from": datetime.date(2020, 1, 1), "withdrawn_from": datetime.date(2020, 1, 1)}, "withdrawn_from"),
    ],
)
def test_an_availability_states_an_ordered_date(dates, field):
    with pytest.raises(ValidationError) as refused:
        availability(**dates).full_clean()
    assert list(refused.value.message_dict) == [field]


def test_the_database_refuses_a_withdrawal_before_the_first_issue_too():
    row = availability(issued_from=datetime.date(2020, 1, 2), withdrawn_from=datetime.date(2020, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_card_types_show_where_they_were_withdrawn_with_the_source(client):
    body = client.get("/api/v1/card-types/resident-medical-card/").json()
    (row,) = body["availability"]
    assert row["region"]["code"] == "410000"
    assert (row["issued_from"], row["withdrawn_from"]) == (None, "2020-01-01")
    assert row["source"]["slug"] == "xinxiang-yibaoka-yuanshi-mima"
    assert client.get("/api/v1/card-types/ssc-gen2/").json()["availability"] == []


@pytest.mark.parametrize("who", ["superuser", "editor"])
def test_the_admin_records_where_a_card_type_is_withdrawn(admin_client, editor_client, who):
    # Editors edit the statements of a draft as they edit a procedure's steps.
    staff = {"superuser": admin_client, "editor": editor_client}[who]
    card_type = make_card_type(status="draft", name="测试卡")
    card_type.sources.add(Source.objects.get(slug=SOURCE))
    url = reverse("admin:passwords_cardtype_change", args=[card_type.pk])
    page = staff.get(url)
    assert 'name="availability-TOTAL_FORMS"' in page.content.decode()
    data = form_data(page.content)
    source = Source.objects.get(slug=SOURCE)
    data |= {
        "availability-TOTAL_FORMS": ["1"],
        "availability-0-region": [str(Region.objects.get(code="420000").pk)],
        "availability-0-withdrawn_from": ["2021-05-01"],
        "availability-0-source": [str(source.pk)],
        "availability-0-note": ["停发"],
    }
    assert staff.post(url, data).status_code == 302
    (stored,) = card_type.availability.all()
    assert (stored.region.code, stored.withdrawn_from) == ("420000", datetime.date(2021, 5, 1))
    assert card_type.history.first().related_snapshot["availability"][0]["withdrawn_from"] == "2021-05-01"

    data = form_data(staff.get(url).content)
    data["availability-0-withdrawn_from"] = ["2021-05-01"]  # as typed: the page shows dates in the reader's format
    data["availability-0-issued_from"] = ["2021-06-01"]
    refused = staff.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and "withdrawn after it was first issued" in refused.content.decode()


def test_a_pending_edit_carries_the_availability_and_publishing_it_changes_the_original(publisher):
    from curation import workflow

    card_type = CardType.objects.get(slug="resident-medical-card")
    copy = workflow.start_edit(card_type, publisher)
    (copied,) = copy.availability.all()
    assert (copied.region.code, copied.withdrawn_from) == ("410000", datetime.date(2020, 1, 1))
    copied.withdrawn_from = datetime.date(2020, 2, 1)
    copied.save()

    workflow.publish(copy, publisher)

    (published,) = CardType.objects.get(slug="resident-medical-card").availability.all()
    assert published.withdrawn_from == datetime.date(2020, 2, 1)
