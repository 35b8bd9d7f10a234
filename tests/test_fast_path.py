"""The fast path (curation/api/fastpath.py): anonymous public reads skip the middleware that do nothing for them, and
answer with the very headers of the full path; the metrics count them the same; the worker's copy of the public
revision is trusted for PUBLIC_REVISION_MEMO_SECONDS, by anonymous reads only."""

import time
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.test import Client
from prometheus_client import REGISTRY

from curation import revisions
from curation.api.fastpath import is_anonymous_public_read
from curation.revisions import CACHE_KEY, Revision, RevisionMemo, current_revision

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/lookup/?region=420102"
PUBLIC_URLS = [
    LOOKUP,
    "/api/v1/procedures/?region_within=420000",
    "/api/schema/",
    "/embed/v1/420102/",
    "/oembed?format=json&url=http%3A%2F%2Ftestserver%2Fembed%2Fv1%2F420102%2F",
    "/api/v1/regions/999999/",  # a 404, public too
]
# A portal's browser: an origin (CORS), compression and a language.
BROWSER = {"HTTP_ORIGIN": "https://portal.example", "HTTP_ACCEPT_ENCODING": "br, gzip", "HTTP_ACCEPT_LANGUAGE": "en"}


def three_answers(settings, url: str, *, fast: bool) -> list:
    """Rendered, then from the response cache, then a 304 naming it, from a cold start."""
    settings.PUBLIC_FAST_PATH = fast
    cache.clear()
    RevisionMemo.clear_all()
    client = Client()
    rendered = client.get(url, **BROWSER)
    cached = client.get(url, **BROWSER)
    etag = rendered.headers.get("ETag", '"none"')
    return [rendered, cached, client.get(url, HTTP_IF_NONE_MATCH=etag, **BROWSER)]


def comparable(response) -> tuple[int, dict[str, str], bytes]:
    headers = dict(response.headers)
    # One id per request: only its form can be compared.
    request_id = headers.pop("X-Request-ID")
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    return response.status_code, headers, response.content


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_the_fast_path_answers_with_the_full_paths_headers(settings, url):
    full = [comparable(response) for response in three_answers(settings, url, fast=False)]
    # The fast path never reaches the session (nor sign-in, CSRF, messages, history).
    with mock.patch.object(SessionMiddleware, "process_request", side_effect=AssertionError("session read")):
        fast = [comparable(response) for response in three_answers(settings, url, fast=True)]
    for (full_status, full_headers, full_body), (status, headers, body) in zip(full, fast, strict=True):
        assert status == full_status
        for name in full_headers.keys() | headers.keys():
            assert headers.get(name) == full_headers.get(name), f"{url}: {name}"
        assert body == full_body
    statuses = [status for status, _headers, _body in fast]
    assert statuses == ([404, 404, 404] if url.endswith("999999/") else [200, 200, 304])
    if statuses[0] == 200:
        # What the answers say about themselves is there to compare: security, CSP, CORS, validators, caching.
        headers = fast[0][1]
        for name in ("X-Content-Type-Options", "Referrer-Policy", "Cache-Control", "ETag", "Last-Modified", "Vary"):
            assert name in headers, name
        assert "Content-Security-Policy" in headers or url.startswith("/oembed")


def test_signed_in_browsers_and_tokens_take_the_full_path(client):
    original = SessionMiddleware.process_request
    with mock.patch.object(SessionMiddleware, "process_request", autospec=True, side_effect=original) as session:
        assert client.get(LOOKUP).status_code == 200
        assert session.call_count == 0
        client.cookies["sessionid"] = "someone-in-the-admin"
        assert client.get(LOOKUP).status_code == 200
        assert session.call_count == 1
        client.cookies.clear()
        assert client.get(LOOKUP, HTTP_AUTHORIZATION="Token made-up").status_code == 401
        assert session.call_count == 2


def test_once_the_session_is_read_only_someone_signed_in_is_not_anonymous(rf, admin_user):
    """The replicas' router asks after AuthenticationMiddleware (curation/replicas.py); the fast path before it."""
    request = rf.get(LOOKUP, HTTP_COOKIE="sessionid=expired-or-made-up")
    assert not is_anonymous_public_read(request)
    request.user = AnonymousUser()
    assert is_anonymous_public_read(request)
    request.user = admin_user
    assert not is_anonymous_public_read(request)
    assert not is_anonymous_public_read(rf.get(LOOKUP, HTTP_AUTHORIZATION="Token made-up"))
    assert is_anonymous_public_read(rf.get(LOOKUP))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def counts() -> list[float]:
    view = {"view": "api:lookup", "transport": "http", "method": "GET"}
    return [
        sample("django_http_requests_total_by_method_total", method="GET"),
        sample("django_http_requests_total_by_view_transport_method_total", **view),
        sample("django_http_responses_total_by_status_total", status="304"),
        *(sample("kb_public_answers_total", served=served) for served in ("rendered", "cache", "not_modified")),
    ]


def test_the_metrics_count_fast_path_answers(client):
    before = counts()
    etag = client.get(LOOKUP)["ETag"]
    client.get(LOOKUP)
    assert client.get(LOOKUP, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Three requests; one view ran (the rendered one); one 304; rendered, cached and not-modified once each.
    assert [b - a for a, b in zip(before, counts(), strict=True)] == [3, 1, 1, 1, 1, 1]


def test_anonymous_reads_trust_the_workers_revision_for_the_memo_seconds_only(settings, client):
    settings.PUBLIC_REVISION_MEMO_SECONDS = 0.3
    revisions._public_memo = None
    first = client.get(LOOKUP)["ETag"]
    # Another worker publishes: the shared copy moves, this worker's memo does not know yet.
    public, content = current_revision(), revisions.content_revision()
    cache.set(CACHE_KEY, (Revision(public.number + 1, public.changed_at), content))
    try:
        assert client.get(LOOKUP)["ETag"] == first
        # Someone signed in reads the shared copy, and sees the change at once.
        client.cookies["sessionid"] = "someone-in-the-admin"
        assert client.get(LOOKUP)["ETag"] != first
        client.cookies.clear()
        time.sleep(0.35)
        assert client.get(LOOKUP)["ETag"] != first
    finally:
        revisions._public_memo = None


class Wsgi:
    """Requests to kb.wsgi.application, the entry point gunicorn serves, as a WSGI server makes them."""

    def __init__(self) -> None:
        from kb.wsgi import application

        self.application = application

    def get(self, url: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections
        from django.test import RequestFactory

        path, _question, query = url.partition("?")
        environ = RequestFactory()._base_environ(PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD="GET", **headers)
        given = []
        # As Django's test client does: the test's transaction must outlive the request.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            body = self.application(environ, lambda status, headers, exc_info=None: given.extend([status, headers]))
            content = b"".join(body)
            if hasattr(body, "close"):
                body.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return given[0], dict(given[1]), content


def memo_answers() -> float:
    return sample("kb_public_answers_total", served="memo")


@pytest.fixture
def wsgi(settings):
    cache.clear()
    RevisionMemo.clear_all()
    revisions._public_memo = None
    wsgi = Wsgi()
    wsgi.application.answers.clear()
    wsgi.application.templates.clear()
    yield wsgi
    revisions._public_memo = None


@pytest.mark.parametrize("url", PUBLIC_URLS[:-1])
def test_the_answer_memo_gives_djangos_own_answer_again_before_django_runs(wsgi, url):
    first = wsgi.get(url, **BROWSER)
    before = memo_answers()
    with mock.patch("django.core.handlers.wsgi.WSGIHandler.__call__", side_effect=AssertionError("Django ran")):
        again = wsgi.get(url, **BROWSER)
        assert memo_answers() == before + 1
    (status, headers, body), (first_status, first_headers, first_body) = again, first
    assert status == first_status and body == first_body and status.startswith("200")
    assert headers["X-Request-ID"] != first_headers["X-Request-ID"] and len(headers["X-Request-ID"]) == 32
    assert {**headers, "X-Request-ID": ""} == {**first_headers, "X-Request-ID": ""}
    # A 304 naming it too, once Django has answered one.
    named = {**BROWSER, "HTTP_IF_NONE_MATCH": headers["ETag"]}
    first_304 = wsgi.get(url, **named)
    with mock.patch("django.core.handlers.wsgi.WSGIHandler.__call__", side_effect=AssertionError("Django ran")):
        again_304 = wsgi.get(url, **named)
    assert first_304[0].startswith("304") and again_304[0] == first_304[0] and again_304[2] == b""
    assert {**again_304[1], "X-Request-ID": ""} == {**first_304[1], "X-Request-ID": ""}
    # A caller's own request id is kept, as on every path.
    assert wsgi.get(url, HTTP_X_REQUEST_ID="portal-request-0001", **BROWSER)[1]["X-Request-ID"] == "portal-request-0001"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_COOKIE": "sessionid=someone-in-the-admin"},
        {"HTTP_COOKIE": "django_language=en"},
        {"HTTP_AUTHORIZATION": "Token made-up"},
        {"HTTP_ACCEPT_LANGUAGE": "en"},  # not personal, but not what the first request asked: another answer
        {"HTTP_ACCEPT_ENCODING": "gzip"},
        {"HTTP_ORIGIN": "https://another-portal.example"},
        {"HTTP_X_FORWARDED_PROTO": "https"},
    ],
)
def test_the_memo_answers_only_what_names_the_same_answer_and_nothing_personal(wsgi, headers):
    wsgi.get(LOOKUP)
    wsgi.get(LOOKUP)
    before = memo_answers()
    wsgi.get(LOOKUP, **headers)
    assert memo_answers() == before


def test_a_publish_or_a_new_day_ends_what_the_memo_holds(wsgi, settings):
    settings.PUBLIC_REVISION_MEMO_SECONDS = 0
    first = wsgi.get(LOOKUP)
    assert wsgi.get(LOOKUP)[1]["ETag"] == first[1]["ETag"]
    before = memo_answers()
    # A publish, as another worker's commit leaves it in the shared cache.
    public, content = current_revision(), revisions.content_revision()
    cache.set(CACHE_KEY, (Revision(public.number + 1, public.changed_at), content))
    assert wsgi.get(LOOKUP)[1]["ETag"] != first[1]["ETag"]
    assert memo_answers() == before
    wsgi.get(LOOKUP)
    assert memo_answers() == before + 1
    tomorrow = time.time() + 86400
    with mock.patch("curation.api.fastpath.time.time", return_value=tomorrow):
        wsgi.get(LOOKUP)
    assert memo_answers() == before + 1


def test_the_memo_counts_every_answer_against_the_throttle(wsgi, settings):
    """In batches (of 2 for a limit of 40), yet exactly within one worker: what it has not yet added, it knows."""
    # Limits per day in these tests, as in the rest of the suite: windows are fixed, and a minute's window ended in the
    # middle of one on a slow CI machine, which started the count again.
    settings.API_ANON_THROTTLE_RATE = "40/day"
    before = memo_answers()
    statuses = [wsgi.get(LOOKUP, REMOTE_ADDR="10.9.0.1")[0][:3] for _ in range(45)]
    assert statuses == ["200"] * 40 + ["429"] * 5
    assert memo_answers() - before >= 35
    # Another address is counted on its own.
    assert wsgi.get(LOOKUP, REMOTE_ADDR="10.9.0.2")[0].startswith("200")


def test_anonymous_reads_through_django_are_counted_in_batches_yet_exactly_within_a_worker(wsgi, settings):
    """Answers the memo does not hold (each on another day) go through Django, whose throttle counts anonymous reads
    as the memo does: the shared count is reached once per batch, and one worker still refuses the 41st of 40."""
    from kb.api import throttling
    from kb.api.throttling import BatchedCounts

    settings.API_ANON_THROTTLE_RATE = "40/day"
    with (
        # Flushed by batch only, not by the clock, whatever the machine's speed.
        mock.patch.object(BatchedCounts, "SECONDS", 3600),
        mock.patch.object(BatchedCounts, "add", autospec=True, side_effect=BatchedCounts.add) as shared,
        mock.patch("kb.api.throttling.seconds_to_wait", wraps=throttling.seconds_to_wait) as one_by_one,
    ):
        statuses = [wsgi.get(f"{LOOKUP}&on=2025-01-{day:02}", REMOTE_ADDR="10.9.0.4")[0][:3] for day in range(1, 31)]
        assert statuses == ["200"] * 30
        # Batches of 2 for a limit of 40 (a sixteenth), and the first request counted at once.
        assert 14 <= shared.call_count <= 16
        one_by_one.assert_not_called()
        statuses += [wsgi.get(f"{LOOKUP}&on=2025-02-{day:02}", REMOTE_ADDR="10.9.0.4")[0][:3] for day in range(1, 16)]
    assert statuses == ["200"] * 40 + ["429"] * 5
    # Without the fast path, every request is counted on its own.
    settings.PUBLIC_FAST_PATH = False
    with mock.patch.object(BatchedCounts, "admit", side_effect=AssertionError("batched")):
        assert wsgi.get(f"{LOOKUP}&on=2025-03-01", REMOTE_ADDR="10.9.0.5")[0].startswith("200")


def test_a_request_no_batch_admits_is_counted_at_once_and_still_answered_by_the_memo(wsgi, settings):
    """A batch on its way to the shared count already: the memo counts the request there itself, exactly, rather
    than leaving it to Django; only a request that count refuses reaches Django, for its 429."""
    from kb.api import throttling
    from kb.api.throttling import BatchedCounts

    settings.API_ANON_THROTTLE_RATE = "5/day"
    for _ in range(3):
        assert wsgi.get(LOOKUP, REMOTE_ADDR="10.9.0.3")[0].startswith("200")
    before = memo_answers()
    with (
        mock.patch.object(BatchedCounts, "admit", return_value=False),
        mock.patch("django.core.handlers.wsgi.WSGIHandler.__call__", side_effect=AssertionError("Django ran")),
    ):
        assert [wsgi.get(LOOKUP, REMOTE_ADDR="10.9.0.3")[0][:3] for _ in range(2)] == ["200", "200"]
    assert memo_answers() == before + 2
    with (
        mock.patch.object(BatchedCounts, "admit", return_value=False),
        mock.patch("kb.api.throttling.seconds_to_wait", wraps=throttling.seconds_to_wait) as exact,
    ):
        status, headers, _body = wsgi.get(LOOKUP, REMOTE_ADDR="10.9.0.3")  # the sixth of five
    assert status.startswith("429") and int(headers["Retry-After"]) > 0
    # Counted once, by the memo: Django's throttle answers the refusal without counting it again.
    assert exact.call_count == 1
    assert memo_answers() == before + 2


def test_what_fails_in_the_memo_is_left_to_django(wsgi, settings):
    """The primary away when the memo reads the revision: Django answers, with its own fallbacks and error handling."""
    from django.db import OperationalError

    settings.PUBLIC_REVISION_MEMO_SECONDS = 0
    wsgi.get(LOOKUP)
    before = memo_answers()
    with mock.patch("curation.api.fastpath.current_revision", side_effect=OperationalError("primary away")):
        status, headers, _body = wsgi.get(LOOKUP)
    assert status.startswith("200") and memo_answers() == before and "X-Request-ID" in headers


def test_a_query_with_a_parameter_that_changes_no_answer_takes_no_place_in_the_memo(wsgi):
    for n in range(3):
        wsgi.get(f"{LOOKUP}&_={n}")
    before = memo_answers()
    wsgi.get(f"{LOOKUP}&_=2")
    assert memo_answers() == before
    assert not any("_=" in (key[9] or "") for key in wsgi.application.answers)


def assembled_answers() -> float:
    return sample("kb_public_answers_total", served="assembled")


ASSEMBLED_QUERIES = [
    "region=420103",
    "region=130702&on=2022-03-01",
    "region=130702&on=2022-03-02",
    "on=2021-06-30&region=410702&card_type=resident-medical-card",
    "region=410702&insurance=employee&detail=full",
    "region=420102&detail=full&include=channels,faqs",
    "region=000000&include=faqs",
]


SEARCH = "/api/v1/regions/?search=zhang"
SEARCH_QUERIES = [
    "search=wu",
    "search=zh&page_size=3",
    "page=2&search=zhang&page_size=5",
    "search=%E9%95%BF",  # 长, as a browser escapes it
    "search=%EF%BC%91%EF%BC%93%EF%BC%90%EF%BC%97",  # full-width １３０７
]


@pytest.mark.parametrize(
    ("first", "path", "queries"),
    [(LOOKUP, "/api/v1/lookup/", ASSEMBLED_QUERIES), (SEARCH, "/api/v1/regions/", SEARCH_QUERIES)],
    ids=["lookup", "region search"],
)
@pytest.mark.parametrize("headers", [BROWSER, {}, {"HTTP_ACCEPT_ENCODING": "gzip", "HTTP_ACCEPT": "application/json"}])
def test_an_answer_the_memo_never_gave_is_assembled_before_django_as_djangos(wsgi, first, path, queries, headers):
    """Once Django has answered one lookup (or region search), another query is answered before Django runs: its body
    from the lookup's rendered sections (the regions' index and rows), its headers Django's for that request, byte for
    byte and header by header."""
    wsgi.get(first, **headers)
    for query in queries:
        before = assembled_answers()
        with mock.patch("django.core.handlers.wsgi.WSGIHandler.__call__", side_effect=AssertionError("Django ran")):
            status, given, body = wsgi.get(f"{path}?{query}", **headers)
        assert assembled_answers() == before + 1, query
        RevisionMemo.clear_all()
        django = Client().get(f"{path}?{query}", **headers)
        assert (status[:3], body) == (str(django.status_code), django.content), query
        assert given.pop("X-Request-ID") != django.headers["X-Request-ID"]
        assert given == {name: value for name, value in django.headers.items() if name != "X-Request-ID"}, query
        # Asked again, it is the memo's.
        before = memo_answers()
        assert wsgi.get(f"{path}?{query}", **headers)[2] == body
        assert memo_answers() == before + 1


REFUSED_LOOKUPS = [
    "region=999999",  # no such region: Django's 404
    "region=42010",
    "region=",
    "on=2022-03-01",
    "region=420102&on=2022-13-01",
    "region=420102&on=2022-3-1",
    "region=420102&region=420103",
    "region=420102&card_type=no-such-card",
    "region=420102&insurance=everyone",
    "region=420102&detail=some",
    "region=420102&include=channels,channels",
    "region=420102&include=steps",
    "region=420102&unknown=1",
    "region=420102&_=1",
    "region=%34%32%30%31%30%33",  # escaped: Django reads 420103, the assembler does not read escapes
    "region=420103&on=2022-03-01&on=2022-03-02",
]
REFUSED_SEARCHES = [
    "search=",
    "search=zhang&search=wuhan",
    "search=zhang&level=county",  # another filter: the database's search
    "search=zhang&page=999",  # beyond the last page: Django's 404
    "search=zhang&page_size=0",
    "search=zhang&page_size=101",
    "search=zhang&page=abc",
    "search=" + "z" * 200,  # longer than the search field takes
    "search=zhang&unknown=1",
    "search=zhang&page_size=" + "0" * 4100 + "5",  # a page size of 5, in a query longer than the guard takes
]


@pytest.mark.parametrize(
    ("first", "query"), [(LOOKUP, query) for query in REFUSED_LOOKUPS] + [(SEARCH, query) for query in REFUSED_SEARCHES]
)
def test_a_query_the_assembler_does_not_take_is_djangos_to_answer(wsgi, first, query):
    path = first.partition("?")[0]
    wsgi.get(first)
    before = assembled_answers()
    status, _headers, body = wsgi.get(f"{path}?{query}")
    assert assembled_answers() == before
    django = Client().get(f"{path}?{query}")
    assert (status[:3], body) == (str(django.status_code), django.content)


def test_an_answer_too_short_to_compress_is_djangos_where_the_template_was_compressed(wsgi):
    """Django sends a short body as it is: its headers are not those of a compressed template."""
    wsgi.get(SEARCH, HTTP_ACCEPT_ENCODING="br")
    before = assembled_answers()
    status, headers, body = wsgi.get("/api/v1/regions/?search=nowhere-at-all", HTTP_ACCEPT_ENCODING="br")
    assert assembled_answers() == before
    assert status.startswith("200") and "Content-Encoding" not in headers and b'"count":0' in body
    # Without compression asked for, the same search is assembled.
    wsgi.get(SEARCH)
    wsgi.get("/api/v1/regions/?search=nowhere-at-all")
    assert assembled_answers() == before + 1


def test_conditional_requests_and_other_codings_are_djangos_to_answer(wsgi):
    wsgi.get(LOOKUP, **BROWSER)
    before = assembled_answers()
    etag = wsgi.get("/api/v1/lookup/?region=420103", HTTP_ACCEPT_ENCODING="br")[1]["ETag"]
    assert wsgi.get("/api/v1/lookup/?region=420104", HTTP_IF_NONE_MATCH=etag, **BROWSER)[0].startswith("200")
    assert wsgi.get("/api/v1/lookup/?region=420104", HTTP_IF_MODIFIED_SINCE="Sun, 01 Jan 2040 00:00:00 GMT", **BROWSER)
    assert assembled_answers() == before
    # Without a template for these request headers (another language), Django answers and leaves one.
    wsgi.get("/api/v1/lookup/?region=420105", HTTP_ACCEPT_LANGUAGE="en")
    assert assembled_answers() == before
    wsgi.get("/api/v1/lookup/?region=420106", HTTP_ACCEPT_LANGUAGE="en")
    assert assembled_answers() == before + 1


@pytest.mark.parametrize("url", [LOOKUP, SEARCH])
def test_an_answer_from_the_response_cache_carries_the_rendered_ones_headers(settings, url):
    """Allow included, so that an answer the memo assembles after a cached one has every header of a rendered one."""
    rendered, cached, _not_modified = three_answers(settings, url, fast=True)
    assert comparable(cached) == comparable(rendered)
    assert rendered.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_where_public_reads_go_to_replicas_nothing_is_assembled(wsgi, settings):
    """An assembler would read the primary, outside a replica's snapshot and its fallbacks (curation/replicas.py)."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/lookup/", "QUERY_STRING": "region=420103"}
    assert wsgi.application.assembler(environ) is not None
    settings.DATABASE_REPLICAS = ["replica1"]
    assert wsgi.application.assembler(environ) is None
