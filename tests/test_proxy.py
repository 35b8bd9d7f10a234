"""The cache in front: Varnish with deploy/varnish/default.vcl, started here by the test, before the app under gunicorn
with production settings. Warm public answers come from the proxy, staff answers, drafts, the admin and writes never
do, variants per coding and language stay apart while the ways of asking for one answer (a frame id, how
Accept-Language, Accept or Origin are written) share it, a publish is visible through the proxy within a second even
with dead cache nodes configured, the throttle sees the client's address, and slow clients do not stall the app.

varnishd comes from Debian's varnish package (`.ci/run` installs it); without it these tests are skipped, unless
KB_REQUIRE_TOOLS is set (CI sets it)."""

import functools
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import brotli
import pytest

from scripts.servers import (
    ROOT,
    VARNISHD,
    free_port,
    populate,
    production_env,
    staff_token,
    start_gunicorn,
    start_varnish,
    stop,
)

# Builds its own database and servers: DATABASE_URL changes nothing here (.ci/run runs it once).
pytestmark = pytest.mark.own_database

# Anonymous requests that reach the app, per client address and day: each test asks from addresses of its own.
ANONYMOUS_RATE = 20
LOOKUP = "/api/v1/lookup/?region=420102"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def cache(self) -> str:
        return self.headers.get("X-Cache", "")

    def json(self):
        return json.loads(self.body)


def fetch(port: int, path: str, *, method: str = "GET", client: str = "127.0.0.1", headers=None, body=None) -> Answer:
    """One request from the address `client` (any of 127.0.0.0/8 on loopback), its body as sent (not decoded)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(client, 0))
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = dict(headers or {}) | ({"Content-Type": "application/json"} if data is not None else {})
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


@dataclass
class Stack:
    proxy: int
    app: int
    editor: str
    publisher: str
    log: Path
    database: str

    def get(self, path: str, **kwargs) -> Answer:
        return fetch(self.proxy, path, **kwargs)

    def staff(self, path: str, token: str, *, method: str = "GET", etag: str | None = None, body=None) -> Answer:
        headers = {"Authorization": f"Token {token}", **({"If-Match": etag} if etag else {})}
        return fetch(self.proxy, path, method=method, headers=headers, body=body)

    def log_lines(self) -> list[dict]:
        text = self.log.read_text(encoding="utf-8") if self.log.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if VARNISHD is None:
        if os.environ.get("KB_REQUIRE_TOOLS"):
            pytest.fail("varnishd is not installed: apt-get install varnish")
        pytest.skip("varnishd is not installed (Debian's varnish package: apt-get install varnish)")
    workdir = tmp_path_factory.mktemp("proxy")
    proxy_port, app_port, dead_port = free_port(), free_port(), free_port()
    # A node that takes the connection and never answers: each try of a ban waits for its timeout.
    hanging = socket.create_server(("127.0.0.1", 0))
    database = f"sqlite:///{workdir / 'db.sqlite3'}"
    env = production_env(database) | {
        "DJANGO_NUM_PROXIES": "1",
        "API_ANON_THROTTLE_RATE": f"{ANONYMOUS_RATE}/day",
        "CACHE_PURGE_URLS": ",".join(
            [
                f"http://127.0.0.1:{dead_port}",
                f"http://127.0.0.1:{hanging.getsockname()[1]}",
                f"http://127.0.0.1:{proxy_port}",
            ]
        ),
        "EXPORT_DIR": str(workdir / "exports"),
    }
    populate(env)
    editor = staff_token(env, username="proxy-editor", role="publishers")
    publisher = staff_token(env, username="proxy-publisher", role="publishers")
    log = workdir / "gunicorn.log"
    # Two processes of four threads, each with its own copy of the revision (a local-memory cache).
    app = start_gunicorn(env, app_port, workers=2, ready_path="/healthz", log_path=log)
    try:
        proxy = start_varnish(proxy_port, app_port, workdir / "varnish")
    except Exception:
        stop(app)
        raise
    try:
        yield Stack(proxy_port, app_port, editor, publisher, log, database)
    finally:
        stop(proxy)
        stop(app)
        hanging.close()


def test_a_warm_answer_comes_from_the_proxy(stack):
    first = stack.get(LOOKUP, client="127.0.1.1")
    assert first.status == 200 and first.cache == "MISS"
    assert first.headers["Cache-Control"].startswith("public, max-age=300")
    time.sleep(1.1)
    again = stack.get(LOOKUP, client="127.0.1.2")
    assert again.status == 200 and again.cache == "HIT" and int(again.headers["Age"]) >= 1
    assert again.body == first.body and again.headers["ETag"] == first.headers["ETag"]
    # A revalidation is answered by the proxy too.
    revalidated = stack.get(LOOKUP, client="127.0.1.3", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status == 304 and revalidated.cache == "HIT" and revalidated.body == b""
    # The widget and oEmbed (`no-cache` for browsers) are kept too, until a publish drops them.
    for path in ("/embed/v1/420100/", "/api/schema/?format=json"):
        assert stack.get(path, client="127.0.1.4").status == 200
        assert stack.get(path, client="127.0.1.5").cache == "HIT", path


def test_staff_answers_the_admin_cookies_and_writes_are_never_cached(stack):
    for _ in range(2):
        staff = stack.staff("/api/v1/card-types/?status=draft", stack.editor)
        assert staff.status == 200 and staff.cache == "PASS" and staff.headers["Age"] == "0"
        assert "private" in staff.headers["Cache-Control"]
        admin = stack.get("/admin/", client="127.0.2.1")
        assert admin.status == 302 and admin.cache == "PASS"
        signed_in = stack.get("/api/v1/card-types/", client="127.0.2.1", headers={"Cookie": "sessionid=abc"})
        assert signed_in.status == 200 and signed_in.cache == "PASS"
        write = stack.get("/api/v1/faqs/", method="POST", client="127.0.2.2", body={})
        assert write.status == 401 and write.cache == "PASS"

    # A draft read by staff through the proxy is not what the public gets at the same address.
    faq = {"slug": f"proxy-draft-{uuid.uuid4().hex[:8]}", "question": "草稿？", "answer": "不公开。"}
    faq["sources"] = ["jumin-yibaoka-chushi-mima"]
    assert stack.staff("/api/v1/faqs/", stack.editor, method="POST", body=faq).status == 201
    for _ in range(2):
        assert stack.staff(f"/api/v1/faqs/{faq['slug']}/", stack.editor).status == 200
    assert stack.get(f"/api/v1/faqs/{faq['slug']}/", client="127.0.2.3").status == 404


def test_variants_per_coding_and_language_are_kept_apart(stack):
    path = "/api/v1/lookup/?region=420102&detail=full"
    client = "127.0.3.1"
    plain = stack.get(path, client=client, headers={"Accept-Encoding": "identity"})
    compressed = stack.get(path, client=client, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers and compressed.headers["Content-Encoding"] == "br"
    # Spelled otherwise, the same coding is the same variant.
    assert stack.get(path, client=client, headers={"Accept-Encoding": "br;q=1.0, gzip;q=0.8"}).cache == "HIT"
    plain_again = stack.get(path, client=client)
    compressed_again = stack.get(path, client=client, headers={"Accept-Encoding": "GZIP,br"})
    assert (plain_again.cache, compressed_again.cache) == ("HIT", "HIT")
    assert plain_again.body == plain.body and compressed_again.body == compressed.body
    assert "Content-Encoding" not in plain_again.headers
    assert brotli.decompress(compressed_again.body) == plain.body
    assert plain.headers["ETag"] != compressed.headers["ETag"]
    # A coding refused with q=0 is never sent.
    refused = stack.get(path, client=client, headers={"Accept-Encoding": "br;q=0, gzip"})
    assert refused.headers["Content-Encoding"] == "gzip"

    answers = {
        language: [stack.get(path, client=client, headers={"Accept-Language": language}) for _ in range(2)]
        for language in ("en", "zh-hans")
    }
    assert [answer.cache for answer in answers["en"]][1] == "HIT"
    assert [answer.cache for answer in answers["zh-hans"]][1] == "HIT"
    english, chinese = answers["en"][1], answers["zh-hans"][1]
    assert (english.headers["Content-Language"], chinese.headers["Content-Language"]) == ("en", "zh-hans")
    assert english.json()["default_passwords"][0]["kind_label"] != chinese.json()["default_passwords"][0]["kind_label"]


def test_the_widget_s_frame_id_makes_no_variant(stack):
    """Older loaders name the frame in the query (the loader now puts it in the fragment): one answer for all."""
    widget = "/embed/v1/420102/"
    first = stack.get(f"{widget}?embed_id=yibao-1-abc123", client="127.0.9.1")
    assert (first.status, first.cache) == (200, "MISS")
    for n, address in enumerate([f"{widget}?embed_id=yibao-2-def456", widget, f"{widget}?embed_id=x"], start=2):
        again = stack.get(address, client=f"127.0.9.{n}")
        assert (again.status, again.cache, again.body) == (200, "HIT", first.body), address
    # Wherever it stands in the query.
    english = stack.get(f"{widget}?lang=en&embed_id=yibao-1-abc123", client="127.0.9.5")
    again = stack.get(f"{widget}?embed_id=yibao-7-zz&lang=en", client="127.0.9.6")
    assert (english.cache, again.cache, again.body) == ("MISS", "HIT", english.body)
    assert b'<html lang="en"' in english.body and english.body != first.body
    # One the app refuses still reaches it, and is kept by no one.
    refused = stack.get(f"{widget}?embed_id=a%2Bb", client="127.0.9.7")
    assert (refused.status, refused.cache) == (400, "PASS")


# What browsers and clients send, spelled every way Django reads, and headers Django reads as nothing.
LANGUAGE_HEADERS = [
    "zh-CN,zh;q=0.9,en;q=0.8",
    "en-US,en;q=0.9",
    "EN-gb",
    "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5",
    "de, *;q=0.5, en;q=0.4",
    "en;q=0.5, zh-TW;q=0.5",
    "zh-tw;q=0.5,en;q=0.5",
    "fr, en;q=0",
    "en;q=0.8 , zh;q=0.80",
    "en;q=0.799, zh-Hant;q=0.8",
    "ja,en-US ; q=1.",
    "zh-hans-cn;q=0.3,en-x-private;q=0.31",
    "en,",
    "*",
    "en, ,zh",
    "en;q=2",
    "en_US",
    "engl,en;q=0.1",
]


def django_s_language(header: str) -> str:
    """What Django's LocaleMiddleware chooses for the header, in the settings the app runs with."""
    from django.test import RequestFactory
    from django.utils.translation import get_language_from_request

    return get_language_from_request(RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=header))


def test_the_language_makes_two_variants_however_it_is_asked_for(stack):
    path = "/api/v1/lookup/?region=110000"
    expected = {header: django_s_language(header) for header in LANGUAGE_HEADERS}
    assert set(expected.values()) == {"en", "zh-hans"}
    reference = {
        language: fetch(stack.app, path, client="127.0.10.1", headers={"Accept-Language": language}).body
        for language in ("en", "zh-hans")
    }
    assert reference["en"] != reference["zh-hans"]
    answers = []
    for n, header in enumerate(LANGUAGE_HEADERS, start=2):
        answer = stack.get(path, client=f"127.0.10.{n}", headers={"Accept-Language": header})
        assert answer.status == 200
        assert answer.headers["Content-Language"] == expected[header], header
        assert answer.body == reference[expected[header]], header
        answers.append(answer.cache)
    # The first asker of each language reached the app; everyone else was served from the two variants.
    assert sorted(answers) == ["HIT"] * (len(LANGUAGE_HEADERS) - 2) + ["MISS"] * 2

    # More than eight languages named, or more than Django reads: the app chooses, and nothing is kept.
    many = ",".join(f"{code};q=0.{n}" for n, code in enumerate(["zh", "en", "zh-tw", "en-gb"] * 3, start=1))
    long = "fr;q=0.1," * 60 + "en"
    for n, header in enumerate([many, long], start=40):
        answer = stack.get(path, client=f"127.0.10.{n}", headers={"Accept-Language": header})
        assert answer.cache == "PASS" and answer.headers["Content-Language"] == django_s_language(header)


def test_origins_and_ways_of_writing_accept_share_the_api_s_answers(stack):
    # CORS: every origin gets `*`, a request without one gets no CORS header; so two variants, not one per portal.
    path = "/api/v1/regions/420100/"
    plain = stack.get(path, client="127.0.11.1")
    portal = stack.get(path, client="127.0.11.2", headers={"Origin": "https://portal.example"})
    other = stack.get(path, client="127.0.11.3", headers={"Origin": "http://other.example:8080"})
    assert (plain.cache, portal.cache, other.cache) == ("MISS", "MISS", "HIT")
    assert "Access-Control-Allow-Origin" not in plain.headers
    assert portal.headers["Access-Control-Allow-Origin"] == other.headers["Access-Control-Allow-Origin"] == "*"
    assert stack.get(path, client="127.0.11.4").cache == "HIT"

    # Accept: DRF reads the ranges the site answers in, not their order, quality or the others around them.
    path = "/api/v1/regions/420102/"
    json_only = stack.get(path, client="127.0.11.5", headers={"Accept": "application/json"})
    assert (json_only.status, json_only.cache) == (200, "MISS")
    for n, accept in enumerate(["APPLICATION/JSON;q=0.5", "text/plain, application/json;q=0.9, image/webp"], start=6):
        again = stack.get(path, client=f"127.0.11.{n}", headers={"Accept": accept})
        assert (again.status, again.cache, again.body) == (200, "HIT", json_only.body), accept
    browser = (
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
        "application/signed-exchange;v=b3;q=0.7"
    )
    first, again = (stack.get(path, client=f"127.0.11.{n}", headers={"Accept": browser}) for n in (8, 9))
    assert (first.cache, again.cache, again.body) == ("MISS", "HIT", json_only.body)
    assert stack.get(path, client="127.0.11.10", headers={"Accept": "*/*;q=0.1,text/html"}).cache == "HIT"
    # A parameter that may change the answer (the schema's renderers indent), or nothing the site answers in: the
    # app's to answer, kept by no one.
    indented = stack.get(path, client="127.0.11.11", headers={"Accept": "application/json; indent=2"})
    assert (indented.status, indented.cache) == (200, "PASS")
    refused = stack.get(path, client="127.0.11.12", headers={"Accept": "image/png"})
    assert (refused.status, refused.cache) == (406, "PASS")


def test_a_publish_is_visible_through_the_proxy_within_a_second_despite_dead_cache_nodes(stack):
    slug = f"proxy-faq-{uuid.uuid4().hex[:8]}"
    address = f"/api/v1/faqs/{slug}/"
    listing = "/api/v1/faqs/?page_size=100"
    client = "127.0.4.1"
    # The public's answers, warm in the proxy: the address is a 404, the list lacks the FAQ.
    for _ in range(2):
        missing, before = stack.get(address, client=client), stack.get(listing, client=client)
    assert (missing.status, missing.cache) == (404, "HIT")
    assert before.cache == "HIT" and slug not in before.body.decode()

    faq = {"slug": slug, "question": "代理缓存会过期吗？", "answer": "发布后立即更新。"}
    faq["sources"] = ["jumin-yibaoka-chushi-mima"]
    created = stack.staff("/api/v1/faqs/", stack.editor, method="POST", body=faq)
    assert created.status == 201, created.body
    # Four eyes: one submits, the other publishes.
    submitted = stack.staff(f"{address}submit/", stack.editor, method="POST", etag=created.headers["ETag"], body={})
    assert submitted.status == 200, submitted.body
    assert stack.get(address, client=client).status == 404
    started = time.monotonic()
    published = stack.staff(
        f"{address}publish/", stack.publisher, method="POST", etag=submitted.headers["ETag"], body={}
    )
    assert published.status == 200, published.body
    # Two of the three cache nodes are down or hang: the publish does not wait for them.
    assert time.monotonic() - started < 1.0

    while True:
        detail, after = stack.get(address, client=client), stack.get(listing, client=client)
        if detail.status == 200 and slug in after.body.decode():
            break
        assert time.monotonic() - started < 1.0, "the publish was not visible through the proxy within a second"
        time.sleep(0.05)
    assert detail.json()["answer"] == "发布后立即更新。"

    # The dead nodes were tried a few times, then logged (once: kb.observability holds back the same error); the
    # live one took every ban.
    deadline = time.monotonic() + 15
    while not (
        failed := [line for line in stack.log_lines() if "did not take the ban after 4 tries" in line["message"]]
    ):
        assert time.monotonic() < deadline, "the dead cache nodes were not logged"
        time.sleep(0.5)
    assert failed[0]["level"] == "ERROR" and f":{stack.proxy}" not in failed[0]["message"]
    assert not [line for line in stack.log_lines() if f":{stack.proxy}" in line["message"]]


def test_only_the_app_may_purge(stack):
    stack.get(LOOKUP, client="127.0.5.1")
    assert stack.get("/", method="BAN", client="127.0.5.2").status == 403
    assert stack.get(LOOKUP, method="PURGE", client="127.0.5.2").status == 403
    assert stack.get(LOOKUP, client="127.0.5.1").cache == "HIT"
    assert stack.get(LOOKUP, method="PURGE").status == 200
    assert stack.get(LOOKUP, client="127.0.5.1").cache == "MISS"


def test_the_throttle_sees_the_address_the_proxy_saw(stack):
    # Each search is new, so each one reaches the app and counts; a forged X-Forwarded-For changes nothing, since the
    # app reads the address the proxy appended.
    statuses = [
        stack.get(f"/api/v1/regions/?search=wuhan{n}", client="127.0.6.1", headers={"X-Forwarded-For": f"10.0.0.{n}"})
        for n in range(ANONYMOUS_RATE + 1)
    ]
    assert [answer.status for answer in statuses] == [200] * ANONYMOUS_RATE + [429]
    refused = statuses[-1]
    assert refused.cache == "PASS" and "no-store" in refused.headers["Cache-Control"]
    # Another client counts on its own, and the 429 was kept for no one.
    other = stack.get(f"/api/v1/regions/?search=wuhan{ANONYMOUS_RATE}", client="127.0.6.2")
    assert other.status == 200


def slow_client(port: int, done: threading.Event) -> None:
    """Sends a request's headers one byte a second, reconnecting whenever the proxy gives up on it."""
    request = b"GET /api/v1/regions/?search=slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 100
    while not done.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
                for byte in request:
                    if done.wait(1):
                        return
                    connection.send(bytes([byte]))
        except OSError:
            done.wait(0.2)


def test_slow_clients_do_not_stall_the_app(stack):
    # More slow connections than the app has threads (two processes of four): had the proxy passed them on as they
    # came, every thread would wait on one of them.
    done = threading.Event()
    attackers = [threading.Thread(target=slow_client, args=(stack.proxy, done)) for _ in range(12)]
    for attacker in attackers:
        attacker.start()
    try:
        time.sleep(2)
        for n in range(5):
            started = time.monotonic()
            answer = stack.get(f"/api/v1/regions/?search=hubei{n}", client="127.0.7.1")
            assert answer.status == 200 and answer.cache == "MISS"
            assert time.monotonic() - started < 2, "a request waited behind the slow clients"
            time.sleep(1)
    finally:
        done.set()
        for attacker in attackers:
            attacker.join()


def test_make_stack_serves_through_the_proxy_until_interrupted(stack, tmp_path):
    """scripts/stack.py, which `make stack` runs after `make setup`, here on the database the tests populated."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "CACHE_PURGE"))}
    env |= {"DATABASE_URL": stack.database, "EXPORT_DIR": str(tmp_path / "exports"), "GUNICORN_WORKERS": "1"}
    command = [sys.executable, "-m", "scripts.stack", "--port", str(port)]
    # Started as a shell starts a background job (`make stack &`, CI under nohup): with SIGINT ignored.
    ignore_sigint = functools.partial(signal.signal, signal.SIGINT, signal.SIG_IGN)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, preexec_fn=ignore_sigint)
    try:
        lines = []
        while "Ctrl-C stops both" not in (line := process.stderr.readline()):
            assert line, "".join(lines)
            lines.append(line)
        assert "DJANGO_SECRET_KEY is not set" in "".join(lines)
        first, again = fetch(port, LOOKUP, client="127.0.8.1"), fetch(port, LOOKUP, client="127.0.8.1")
        assert (first.status, first.cache, again.cache) == (200, "MISS", "HIT")
        # Production settings: no debug page for an unknown address.
        missing = fetch(port, "/no-such-page/", client="127.0.8.1")
        assert missing.status == 404 and b"DEBUG = True" not in missing.body
        # The app purges its proxy: a publish made in another process (the scheduler's, here) drops the answer.
        script = "from curation.revisions import bump_revision; bump_revision(public=True)"
        scheduler = env | {"DJANGO_DEBUG": "1", "CACHE_PURGE_URLS": f"http://127.0.0.1:{port}"}
        command = [sys.executable, "manage.py", "shell", "--no-startup", "-c", script]
        shell = subprocess.run(command, cwd=ROOT, env=scheduler, capture_output=True, text=True)
        assert shell.returncode == 0, shell.stderr
        assert fetch(port, LOOKUP, client="127.0.8.1").cache == "MISS"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    with pytest.raises(OSError):
        fetch(port, LOOKUP)
