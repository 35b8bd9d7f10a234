"""Admin sign-in is limited by django-axes: repeated failures lock the username out from that address with a 429
page, staff clear the lock in the admin (or with `axes_reset_username`), and then the curator signs in again."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db

LIMITS = {"AXES_ENABLED": True, "AXES_FAILURE_LIMIT": 3}


@pytest.fixture
def curator(db):
    return User.objects.create_user("curator", password="correct-horse-battery", is_staff=True)


def sign_in(client, password, **headers):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "curator", "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
        **headers,
    )


def lock_out(client, **headers):
    for _ in range(LIMITS["AXES_FAILURE_LIMIT"]):
        sign_in(client, "wrong", **headers)


@override_settings(**LIMITS)
def test_failed_sign_ins_lock_the_account_out_even_with_the_right_password(client, curator):
    assert sign_in(client, "wrong").status_code == 200  # the form again, with its error
    lock_out(client)
    response = sign_in(client, "correct-horse-battery")
    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(**LIMITS)
def test_staff_clear_the_lock_in_the_admin_and_the_curator_signs_in(client, admin_client, curator):
    lock_out(client)
    assert sign_in(client, "correct-horse-battery").status_code == 429
    attempt = AccessAttempt.objects.get(username="curator")
    assert admin_client.get("/admin/axes/accessattempt/").status_code == 200
    response = admin_client.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    response = sign_in(client, "correct-horse-battery")
    assert response.status_code == 302 and response["Location"] == "/admin/"


@override_settings(**LIMITS)
def test_the_reset_command_clears_the_lock(client, curator):
    lock_out(client)
    call_command("axes_reset_username", "curator", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert sign_in(client, "correct-horse-battery").status_code == 302


@override_settings(**LIMITS)
def test_a_forged_forwarded_for_header_does_not_escape_the_lock(client, curator):
    lock_out(client)
    assert sign_in(client, "correct-horse-battery", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429


@override_settings(**LIMITS, REST_FRAMEWORK={"NUM_PROXIES": 1})
def test_behind_a_proxy_the_address_it_appends_is_the_client(client, curator):
    lock_out(client, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert sign_in(client, "correct-horse-battery", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    # The proxy appends the address it saw: here another client, which is not locked out.
    response = sign_in(client, "correct-horse-battery", HTTP_X_FORWARDED_FOR="198.51.100.7, 192.0.2.44")
    assert response.status_code == 302
