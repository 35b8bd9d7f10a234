"""The API as a phone meets it, over HTTP from gunicorn with production settings: compressed answers, what caches on
the way may keep, revalidation, and the compact lookup.

A phone sends `Accept-Encoding: br, gzip` (or gzip alone, or nothing) and keeps what Cache-Control lets it keep.
Bodies are read raw here (urllib decodes nothing), and once through curl, which decodes as a phone's HTTP stack does.
"""

import gzip
import json
import shutil
import subprocess
import urllib.error
import urllib.request

import brotli
import pytest

from scripts.servers import free_port, populate, production_env, staff_token, start_gunicorn, stop

# Builds its own database and servers: DATABASE_URL changes nothing here (.ci/run runs it once).
pytestmark = pytest.mark.own_database

PHONE = {"Accept-Encoding": "br, gzip", "User-Agent": "YibaoApp/2.1 (iPhone; iOS 18.1)"}
LOOKUP = "/api/v1/lookup/?region=420102"
PUBLIC = "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("phone")
    env = production_env(f"sqlite:///{workdir / 'db.sqlite3'}") | {"EXPORT_DIR": str(workdir / "exports")}
    populate(env)
    token = staff_token(env, username="editor-phone", role="editors")
    port = free_port()
    process = start_gunicorn(env, port, workers=1, ready_path="/healthz")
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        stop(process)


def fetch(base: str, path: str, headers: dict | None = None, method: str = "GET", body: bytes | None = None):
    request = urllib.request.Request(base + path, headers=headers or {}, method=method, data=body)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def decoded(headers, body: bytes) -> bytes:
    coding = headers.get("Content-Encoding")
    if coding == "br":
        return brotli.decompress(body)
    if coding == "gzip":
        return gzip.decompress(body)
    assert coding is None
    return body


def vary(headers) -> set[str]:
    return {part.strip().lower() for part in headers.get("Vary", "").split(",")}


@pytest.mark.parametrize("path", [LOOKUP, "/api/v1/procedures/", "/api/schema/", "/embed/v1/420102/"])
def test_every_kind_of_answer_comes_in_the_coding_the_phone_prefers(server, path):
    base, _token = server
    path = path.replace("http://127.0.0.1/", base + "/")
    plain_status, plain_headers, plain = fetch(base, path)
    assert plain_status == 200 and "Content-Encoding" not in plain_headers
    for accept, coding in (("br, gzip", "br"), ("gzip", "gzip"), ("gzip;q=1, br;q=0.5", "gzip"), ("br;q=0", None)):
        # Twice: the first answer is rendered and stored, the second comes from the response cache.
        for _ in range(2):
            status, headers, body = fetch(base, path, {"Accept-Encoding": accept})
            assert status == 200 and headers.get("Content-Encoding") == coding
            assert "accept-encoding" in vary(headers)
            assert int(headers["Content-Length"]) == len(body)
            assert decoded(headers, body) == plain
    compressed = fetch(base, path, PHONE)[2]
    assert len(compressed) < len(plain) / 3


def test_an_answer_too_small_to_gain_stays_as_it_is(server):
    base, _token = server
    status, headers, body = fetch(base, f"/oembed?url={base}/embed/v1/420102/", PHONE)
    assert status == 200 and len(body) < 512 and "Content-Encoding" not in headers
    assert "accept-encoding" in vary(headers) and json.loads(body)["type"] == "rich"


def test_each_coding_is_its_own_representation_and_revalidates_to_a_304(server):
    base, _token = server
    tags = {}
    for accept in ("br", "gzip", ""):
        status, headers, _body = fetch(base, LOOKUP, {"Accept-Encoding": accept})
        assert status == 200
        tags[accept] = headers["ETag"]
        revalidated = fetch(base, LOOKUP, {"Accept-Encoding": accept, "If-None-Match": headers["ETag"]})
        assert revalidated[0] == 304 and revalidated[2] == b""
        # A revalidated cache takes the 304's headers: they must say what the 200 said.
        assert revalidated[1]["Cache-Control"] == headers["Cache-Control"] == PUBLIC
        assert revalidated[1]["ETag"] == headers["ETag"] and "accept-encoding" in vary(revalidated[1])
    assert len(set(tags.values())) == 3
    # A brotli copy's tag does not revalidate the gzip representation.
    assert fetch(base, LOOKUP, {"Accept-Encoding": "gzip", "If-None-Match": tags["br"]})[0] == 200


def test_what_caches_on_the_way_may_keep(server):
    base, token = server
    assert fetch(base, "/api/v1/procedures/", PHONE)[1]["Cache-Control"] == PUBLIC
    # Refusals of a read change only with the content; malformed requests are kept by no one.
    assert fetch(base, "/api/v1/procedures/no-such-procedure/", PHONE)[1]["Cache-Control"] == PUBLIC
    assert fetch(base, "/api/v1/lookup/?region=42", PHONE)[1]["Cache-Control"] == "no-store"
    # A token's reads may show drafts: private, still compressed, still with the version as its ETag.
    staff = {"Authorization": f"Token {token}", **PHONE}
    status, headers, body = fetch(base, "/api/v1/procedures/change-password-nhsa-app/", staff)
    assert status == 200 and headers["Cache-Control"] == "private"
    assert headers["Content-Encoding"] == "br" and headers["ETag"].startswith('"v')
    assert json.loads(brotli.decompress(body))["status"] == "published"
    write = fetch(base, "/api/v1/procedures/", staff | {"Content-Type": "application/json"}, "POST", b"{}")
    assert write[0] == 400 and "no-store" in write[1]["Cache-Control"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_decodes_what_a_phone_receives(server):
    base, _token = server
    completed = subprocess.run(
        ["curl", "--silent", "--compressed", "--write-out", "\n%{size_download}", base + LOOKUP],
        capture_output=True,
        check=True,
    )
    body, _newline, downloaded = completed.stdout.rpartition(b"\n")
    assert json.loads(body)["region"]["code"] == "420102"
    assert int(downloaded) < len(body) / 3


def test_the_default_lookup_is_small_enough_for_a_phone_and_the_whole_one_is_there(server):
    base, _token = server
    status, headers, plain = fetch(base, LOOKUP)
    # Each step names its channel and each procedure lists its channels: 6 kB more plain, all but nothing compressed,
    # and the compressed size is what a phone downloads.
    assert status == 200 and len(plain) <= 27_000
    compressed = fetch(base, LOOKUP, PHONE)[2]
    assert len(compressed) <= 5_000
    answer = json.loads(plain)
    assert answer["default_passwords"] and answer["procedures"][0]["steps"]
    whole = fetch(base, LOOKUP + "&detail=full&include=channels,faqs", PHONE)
    assert json.loads(brotli.decompress(whole[2]))["faqs"] and whole[1]["ETag"] != headers["ETag"]
