"""Metrics as Prometheus scrapes them: from gunicorn's master on their own address, summed over every worker, and
not on the public port."""

import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scripts.servers import free_port, populate, production_env, start_gunicorn, stop

# Builds its own database and servers: DATABASE_URL changes nothing here (.ci/run runs it once).
pytestmark = pytest.mark.own_database


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("metrics")
    metrics_port = free_port()
    env = production_env(f"sqlite:///{workdir / 'db.sqlite3'}") | {"METRICS_ADDRESS": f"127.0.0.1:{metrics_port}"}
    populate(env)
    port = free_port()
    process = start_gunicorn(env, port, workers=2, ready_path="/healthz")
    try:
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics"
    finally:
        stop(process)


def status_of(url: str, headers: dict | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def samples(metrics_url: str) -> dict[tuple[str, frozenset], float]:
    with urllib.request.urlopen(metrics_url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(scraped: dict, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(value for (sample, found), value in scraped.items() if sample == name and wanted <= found)


def test_requests_latency_status_cache_and_database_time_are_counted_across_workers(server):
    base, metrics = server
    before = samples(metrics)
    lookup = f"{base}/api/v1/lookup/?region=420102"
    # Enough requests that both workers answer some: the sums must count them all.
    statuses = [status_of(lookup) for _ in range(20)] + [status_of(f"{base}/api/v1/regions/999999/")]
    assert statuses.count(200) == 20 and statuses[-1] == 404
    etag = urllib.request.urlopen(lookup, timeout=30).headers["ETag"]
    assert status_of(lookup, {"If-None-Match": etag}) == 304
    after = samples(metrics)

    def grew(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert grew("django_http_responses_total_by_status_total", status="200") >= 21
    assert grew("django_http_responses_total_by_status_total", status="404") >= 1
    assert grew("django_http_requests_latency_including_middlewares_seconds_count") >= 23
    assert grew("django_db_query_duration_seconds_count") >= 1
    assert grew("kb_public_answers_total", served="rendered") >= 1
    # Repeats come from the response cache, or from the answer memo of a worker that gave the answer before (before
    # Django: curation/api/fastpath.py), counted the same.
    assert grew("kb_public_answers_total", served="cache") + grew("kb_public_answers_total", served="memo") >= 19
    assert grew("kb_public_answers_total", served="memo") >= 1
    assert grew("kb_public_answers_total", served="not_modified") == 1


def test_the_public_port_does_not_serve_the_metrics(server):
    base, _metrics = server
    assert status_of(f"{base}/metrics") == 404
