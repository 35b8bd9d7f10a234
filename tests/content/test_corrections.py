"""Corrections of the content against its sources, read as the public reads them: every sentence backed by the
document it cites, and standing no stronger than the sources behind it."""

import pytest

pytestmark = pytest.mark.django_db


def get(client, path: str, **params) -> dict:
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


def texts(procedure: dict) -> str:
    return " ".join([procedure["summary"], *(step["instruction"] for step in procedure["steps"])])


def test_zhangjiakou_employees_must_go_to_a_bank_outlet(client):
    outlet = get(client, "/api/v1/procedures/zhangjiakou-reset-bank-outlet/")
    assert "职工医保参保人只能在银行网点" in outlet["summary"]
    assert "必须到这类网点或就近的银行网点" in outlet["steps"][0]["instruction"]
    assert "也可" not in texts(outlet)
    centre = get(client, "/api/v1/procedures/zhangjiakou-reset-service-centre/")
    assert "职工医保参保人须到银行网点办理" in centre["summary"]
    channel = get(client, "/api/v1/channels/zhangjiakou-card-bank-outlet/")
    assert "参加职工医保的人只能在这类网点" in channel["description"]
    faq = get(client, "/api/v1/faqs/zhangjiakou-123456-still-valid/")
    assert "参加职工医保的人则必须去银行网点" in faq["answer"]


def test_the_12333_reset_sends_nobody_to_a_counter(client):
    procedure = get(client, "/api/v1/procedures/reset-password-12333/")
    assert procedure["steps"][3]["instruction"] == "核验通过后，由人工客服协助把密码重置好。"
    assert "窗口" not in texts(procedure)
    answer = get(client, "/api/v1/faqs/forgot-card-password-12333/")["answer"]
    assert "有的情况" not in answer and "转人工核实身份后办理重置。" in answer


def test_shanghai_replacement_states_no_fee_or_waiting_time(client):
    procedure = get(client, "/api/v1/procedures/shanghai-replace-card/")
    assert (procedure["fee"], procedure["duration"]) in [("", ""), (None, None)]
    assert "来源没有给出上海补卡的费用和要等多久" in procedure["summary"]
    assert "近期免冠照片（尺寸按当地要求）" in procedure["requirements"]


def test_zhangjiakous_guesses_are_rules_of_their_own_marked_unverified(client):
    rules = get(client, "/api/v1/lookup/", region="130700", on="2025-01-01", detail="full")["default_passwords"]
    guesses = {rule["value"]: rule for rule in rules if rule["value"] in ("666666", "888888")}
    assert set(guesses) == {"666666", "888888"}
    for rule in guesses.values():
        assert (rule["standing"], rule["nationwide"], rule["resolved_from"]["code"]) == ("unverified", False, "130700")
        assert "猜测" in rule["note"]
        assert [source["slug"] for source in rule["sources"]] == ["jumin-yibaoka-chushi-mima"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/password-rules/xinxiang-employee-123456/",
        "/api/v1/password-rules/national-common-123456/",
        "/api/v1/procedures/beijing-reset-password-platform/",
        "/api/v1/procedures/shanghai-report-loss-phone/",
    ],
)
def test_one_publishers_pages_stay_unverified(client, path):
    assert get(client, path)["standing"] == "unverified"


def test_two_publishers_make_a_wide_report(client):
    procedure = get(client, "/api/v1/procedures/set-voucher-password-nhsa-app/")
    assert procedure["standing"] == "widely_reported"
    assert len({source["publisher"] for source in procedure["sources"]}) == 2


def test_zhangjiakou_replacement_does_not_guess_the_bank_step(client):
    procedure = get(client, "/api/v1/procedures/zhangjiakou-passwords-after-replacement/")
    assert "依一般做法" not in texts(procedure) and "没有说明" in procedure["steps"][2]["instruction"]


def test_the_national_policy_states_each_fact_with_its_own_source(client):
    # The length rules come from one article, the lock-out from another: two policies, each citing its own.
    length = get(client, "/api/v1/password-policies/national-medical-6-to-12-digits-or-letters/")
    assert (length["min_length"], length["max_length"], length["new_may_equal_old"]) == (6, 12, False)
    assert (length["unlock"], length["unlock_after_hours"]) == ("unknown", None)
    assert [source["slug"] for source in length["sources"]] == ["jumin-yibaoka-chushi-mima"]
    lockout = get(client, "/api/v1/password-policies/national-medical-unlock-after-24-hours/")
    assert (lockout["unlock"], lockout["unlock_after_hours"]) == ("automatic", 24)
    assert (lockout["min_length"], lockout["allowed_characters"], lockout["change_limit_state"]) == (
        None,
        "",
        "unknown",
    )
    assert [source["slug"] for source in lockout["sources"]] == ["zenyang-biangeng-yibaoka-mima"]
    # Both answer where no nearer region states a policy for the medical account.
    policies = get(client, "/api/v1/lookup/", region="420102")["password_policy"]
    assert {p["slug"] for p in policies if p["password"] == "medical_account"} == {
        "national-medical-6-to-12-digits-or-letters",
        "national-medical-unlock-after-24-hours",
    }
