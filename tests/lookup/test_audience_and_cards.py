"""The lookup answers for the audience asked about, for cards that exist there on the day, and for the medium a rule
holds for: 河南's withdrawn resident card, 新乡's employee and resident procedures, 新乡's 123456 and electronic
cards; and each step says where it is done."""

import pytest

from tests.http import assert_problem

pytestmark = pytest.mark.django_db


def lookup(client, **params) -> dict:
    response = client.get("/api/v1/lookup/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_henans_old_resident_card_is_withdrawn_there_from_2020_and_answers_no_password(client):
    answer = lookup(client, region="410000", card_type="resident-medical-card", on="2020-01-02")
    (availability,) = answer["card_availability"]
    assert availability["card_type"] == "resident-medical-card"
    assert availability["status"] == "withdrawn"
    assert availability["withdrawn_from"] == "2020-01-01" and availability["issued_from"] is None
    assert availability["region"]["code"] == "410000"
    assert availability["source"]["slug"] == "xinxiang-yibaoka-yuanshi-mima"
    assert answer["default_passwords"] == [] and answer["password_policy"] == []


def test_the_withdrawal_holds_below_henan_and_not_before_the_day_nor_elsewhere(client):
    in_xinxiang = lookup(client, region="410702", card_type="resident-medical-card", on="2021-06-01")
    assert [a["status"] for a in in_xinxiang["card_availability"]] == ["withdrawn"]
    assert in_xinxiang["default_passwords"] == []

    before = lookup(client, region="410000", card_type="resident-medical-card", on="2019-12-31")
    assert [a["status"] for a in before["card_availability"]] == ["issued"]
    assert "123456" in {rule["value"] for rule in before["default_passwords"]}

    elsewhere = lookup(client, region="320102", card_type="resident-medical-card", on="2020-01-02")
    assert elsewhere["card_availability"] == []
    assert "id_last6" in {rule["kind"] for rule in elsewhere["default_passwords"]}


def test_without_a_card_type_the_withdrawn_cards_rules_are_left_out_and_said_so(client):
    answer = lookup(client, region="410000", on="2024-01-01")
    assert [(a["card_type"], a["status"]) for a in answer["card_availability"]] == [
        ("resident-medical-card", "withdrawn")
    ]
    assert "resident-medical-card" not in {rule["card_type"] for rule in answer["default_passwords"]}


def test_xinxiangs_123456_is_for_physical_cards_and_not_for_the_electronic_social_security_card(client):
    physical = lookup(client, region="410700", card_type="ssc-gen2")
    assert {(r["value"], r["medium"]) for r in physical["default_passwords"] if r["password"] == "medical_account"} == {
        ("123456", "physical")
    }

    electronic = lookup(client, region="410700", card_type="electronic-ssc")
    assert "123456" not in {rule["value"] for rule in electronic["default_passwords"]}
    assert all(rule["medium"] != "physical" for rule in electronic["default_passwords"])


def test_xinxiangs_employees_and_residents_get_their_own_rules_and_procedures(client):
    employee = lookup(client, region="410700", insurance="employee")
    resident = lookup(client, region="410700", insurance="resident")
    everyone = lookup(client, region="410700")
    assert employee["insurance"] == "employee" and everyone["insurance"] is None

    def slugs(answer, section):
        return {row["slug"] for row in answer[section]}

    assert "xinxiang-activate-pharmacy" in slugs(employee, "procedures")
    assert {"xinxiang-activate-labour-station", "xinxiang-activate-clinic"}.isdisjoint(slugs(employee, "procedures"))
    assert {"xinxiang-activate-labour-station", "xinxiang-activate-clinic"} <= slugs(resident, "procedures")
    assert "xinxiang-activate-pharmacy" not in slugs(resident, "procedures")
    assert slugs(employee, "procedures") | slugs(resident, "procedures") == slugs(everyone, "procedures")
    # Procedures for everyone insured stay in both answers.
    assert "xinxiang-reset-labour-station" in slugs(employee, "procedures") & slugs(resident, "procedures")

    assert {r["insurance"] for r in employee["default_passwords"]} <= {"employee", "any"}
    assert "xinxiang-employee-123456" in slugs(employee, "default_passwords")
    assert "xinxiang-resident-123456" not in slugs(employee, "default_passwords")
    assert "xinxiang-resident-123456" in slugs(resident, "default_passwords")
    whole = lookup(client, region="410700", insurance="employee", detail="full")
    assert {p["insurance"] for p in whole["procedures"]} == {"employee", "any"}


@pytest.mark.parametrize("value", ["everyone", "any", "EMPLOYEE", "职工"])
def test_an_unknown_insurance_is_a_json_400(client, value):
    assert_problem(
        client.get("/api/v1/lookup/", {"region": "410700", "insurance": value}), 400, "invalid_parameter", "insurance"
    )


def test_steps_carry_where_they_are_done_in_the_compact_answer(client):
    answer = lookup(client, region="000000")
    arrears = next(p for p in answer["procedures"] if p["slug"] == "unlock-arrears-counter")
    assert [step["channel"] for step in arrears["steps"]] == ["local-hrss-app", "shebao-yibao-counter"]
    assert [channel["slug"] for channel in arrears["channels"]] == ["local-hrss-app", "shebao-yibao-counter"]
    assert arrears["channel"]["slug"] == "shebao-yibao-counter"
    one_channel = next(p for p in answer["procedures"] if p["slug"] == "change-password-nhsa-app")
    assert {step["channel"] for step in one_channel["steps"]} == {"nhsa-app"}
    assert [channel["slug"] for channel in one_channel["channels"]] == ["nhsa-app"]


def test_sichuans_phone_change_goes_from_the_counter_to_the_online_hall(client):
    answer = lookup(client, region="510700")
    procedure = next(p for p in answer["procedures"] if p["slug"] == "sichuan-change-phone-counter")
    assert [channel["kind"] for channel in procedure["channels"]] == ["counter", "website"]
    assert procedure["steps"][-1]["channel"] == "sichuan-yibao-online-hall"
