"""Telling the caches in front (kb/purge.py): every node in CACHE_PURGE_URLS gets a BAN when a change the public sees
commits, and none for a draft's save; a node that refuses or is down is logged, never raised. tests/test_proxy.py
does the same against a real Varnish."""

import http.server
import logging
import threading
import time

import pytest

from kb import purge
from scripts.servers import free_port
from tests.staff import rule_body, staff_client, write

RULES = "/api/v1/password-rules/"

pytestmark = pytest.mark.django_db


class CacheNode(http.server.ThreadingHTTPServer):
    """Records the bans it is sent, and answers them with `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.bans: list[tuple[str, str]] = []
        node = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_BAN(self) -> None:
                node.bans.append((self.command, self.path))
                self.send_response(node.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def nodes():
    started = []

    def start(status: int = 200) -> CacheNode:
        node = CacheNode(status)
        threading.Thread(target=node.serve_forever, daemon=True).start()
        started.append(node)
        return node

    yield start
    for node in started:
        node.shutdown()
        node.server_close()


def wait_for(condition, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_publish_bans_every_node_after_the_commit_and_a_draft_save_none(
    committed, django_capture_on_commit_callbacks, settings, nodes
):
    first, second = nodes(), nodes()
    settings.CACHE_PURGE_URLS = [first.url, f"{second.url}/"]
    editor, publisher = staff_client("editors"), staff_client("publishers", "publisher-li")

    draft = committed(lambda: write(editor, "post", RULES, rule_body(slug="purge-draft", value="111222")))
    assert draft.status_code == 201, draft.content
    submitted = committed(lambda: write(editor, "post", f"{RULES}purge-draft/submit/", etag=draft["ETag"]))
    assert submitted.status_code == 200, submitted.content
    time.sleep(0.3)
    assert first.bans == second.bans == []

    # Not before the commit: a publish whose transaction is still open tells no one.
    with django_capture_on_commit_callbacks() as on_commit:
        published = write(publisher, "post", f"{RULES}purge-draft/publish/", etag=submitted["ETag"])
    assert published.status_code == 200, published.content
    time.sleep(0.3)
    assert first.bans == []
    for callback in on_commit:
        callback()
    wait_for(lambda: first.bans and second.bans)
    assert first.bans == second.bans == [("BAN", "/")]


def test_a_node_that_refuses_or_is_down_is_logged_and_never_raised(nodes, caplog, monkeypatch):
    monkeypatch.setattr(purge, "BACKOFF", 0.01)
    refusing, failing = nodes(403), nodes(503)
    with caplog.at_level(logging.INFO, logger="kb.purge"):
        assert purge.ban(refusing.url) is False
        assert purge.ban(failing.url) is False
        assert purge.ban(f"http://127.0.0.1:{free_port()}") is False
    # Refused once: asking again changes nothing. Failing and down: tried, then given up.
    assert len(refusing.bans) == 1 and len(failing.bans) == purge.ATTEMPTS
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert errors[0] == f"cache node {refusing.url} refused the ban: 403"
    assert errors[1].startswith(f"cache node {failing.url} did not take the ban after {purge.ATTEMPTS} tries")
    assert len(errors) == 3
