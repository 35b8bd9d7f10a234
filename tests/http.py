"""Small helpers for reading API responses in tests."""

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code"}


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def assert_problem(response, status: int, code: str, parameter: str | None = None) -> dict:
    """The documented error shape, with the status, the code and (for 400s) the parameter at fault."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert (body["status"], body["code"]) == (status, code), body
    if parameter is not None:
        assert parameter in [error["parameter"] for error in body["errors"]], body
    return body
