"""Staff clients of the write API: a user in a role, with a token, and the requests staff tools make."""

from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

SOURCE = "jumin-yibaoka-chushi-mima"


def staff_client(role: str | None, username: str | None = None, *, is_staff: bool = True) -> APIClient:
    """An API client with the token of a staff user in `role` (editors, publishers; None: no role at all)."""
    user = User.objects.create_user(username or role or "nobody", is_staff=is_staff)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    client.user = user
    return client


def rule_body(**fields) -> dict:
    return {
        "slug": "api-test-rule",
        "region": "420100",
        "card_type": None,
        "password": "medical_account",
        "standing": "unverified",
        "kind": "fixed",
        "value": "654321",
        "sources": [SOURCE],
    } | fields


def procedure_body(**fields) -> dict:
    return {
        "slug": "api-test-procedure",
        "kind": "reset_password",
        "title": "在柜台重置医保密码",
        "region": "420100",
        "channel": "shebao-yibao-counter",
        "card_types": ["ssc-gen2"],
        "requirements": ["身份证", "社保卡"],
        "standing": "unverified",
        "steps": [{"instruction": "带上证件到柜台。"}, {"instruction": "填写申请表。", "ui_path": ""}],
        "sources": [SOURCE],
    } | fields


def get(client: APIClient, path: str, **params):
    return client.get(path, params)


def write(client: APIClient, method: str, path: str, body: dict | None = None, etag: str | None = None):
    """A JSON write, based on the version `etag` names (sent as If-Match) when given."""
    headers = {"HTTP_IF_MATCH": etag} if etag is not None else {}
    return getattr(client, method)(path, body if body is not None else {}, format="json", **headers)


def read_etag(client: APIClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response["ETag"]
