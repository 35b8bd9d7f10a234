"""Public reads from a real streaming replica that the test builds (initdb, pg_basebackup, a second port), behind the
real cache in front (Varnish with deploy/varnish/default.vcl): anonymous reads, and reads with a session cookie that
signs no one in, go to the replica; a signed-in staff member reads the primary and sees a publish at once; a replica
whose replay is paused is passed over once the app knows of the publish, so the cache keeps the new answer, not the
replica's older one; the replica answers the public while the primary is away; and a replica that goes away leaves
the reads to the primary without a 5xx, until it is back.

Which database answered is read in the replica's own log (log_statement = all): every read it answers asks it for
the content revision first, in its snapshot."""

import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import psycopg
import pytest

from scripts.servers import (
    VARNISHD,
    free_port,
    populate,
    production_env,
    run_script,
    start_gunicorn,
    start_varnish,
    stop,
)
from tests.test_database_outage import PG_BIN, Cluster, as_postgres, pytestmark  # noqa: F401 (the same skip)

LOOKUP = "/api/v1/lookup/?region=420102"
# What the replica is asked before it answers a public read (curation/replicas.py, read_revisions).
REVISION_READ = "sources_contentrevision"


class Replica(Cluster):
    """A hot standby of `primary`, copied with pg_basebackup and following it by streaming replication; it logs
    every statement, so that the test sees which reads it answered."""

    def __init__(self, primary: Cluster) -> None:
        self.dir = primary.dir.parent / (primary.dir.name + "-replica")
        self.dir.mkdir()
        subprocess.run(["chown", "postgres", str(self.dir)], check=True)
        self.port = free_port()
        self.data = self.dir / "data"
        # A fast checkpoint: the default spread one waits out most of checkpoint_timeout (two minutes here).
        as_postgres(f"{PG_BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                    "-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast")  # fmt: skip
        with (self.data / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
            conf.write("log_statement = 'all'\n")

    def statements(self) -> list[str]:
        log = self.dir / "log"
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        return [line for line in text.splitlines() if "statement: " in line or "execute " in line]


def fetch(port: int, path: str, headers: dict | None = None) -> tuple[int, dict]:
    """Status and headers (lower-cased names) of a GET on 127.0.0.1:`port`."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return response.status, {name.lower(): value for name, value in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {name.lower(): value for name, value in error.headers.items()}


def sql(port: int, query: str):
    with psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres", autocommit=True) as connection:
        return connection.execute(query).fetchone()


def caught_up(primary: Cluster, replica: Replica) -> None:
    target = sql(primary.port, "SELECT pg_current_wal_lsn()")[0]
    deadline = time.monotonic() + 30
    while sql(replica.port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0] is not True:
        assert time.monotonic() < deadline, "the replica did not catch up within 30 seconds"
        time.sleep(0.1)


@dataclass
class Site:
    primary: Cluster
    replica: Replica
    env: dict
    app: int
    proxy: int
    staff_session: str

    def asked_the_replica(self, port: int, path: str, headers: dict | None = None) -> tuple[int, dict, list[str]]:
        """A GET, and the statements the replica ran meanwhile."""
        before = len(self.replica.statements())
        status, headers = fetch(port, path, headers)
        return status, headers, self.replica.statements()[before:]

    def publish(self) -> None:
        """What a publish does to the revision, in the primary, as another process; it returns once both bans
        (kb/purge.py) have been sent to the cache."""
        run_script(self.env, "from curation.revisions import bump_revision; from django.db import transaction\n"
                             "with transaction.atomic(): bump_revision(public=True)")  # fmt: skip


@pytest.fixture(scope="module")
def site():
    if VARNISHD is None:
        if os.environ.get("KB_REQUIRE_TOOLS"):
            pytest.fail("varnishd is not installed: apt-get install varnish")
        pytest.skip("varnishd is not installed (Debian's varnish package: apt-get install varnish)")
    primary = Cluster()
    replica = server = proxy = None
    try:
        primary.start()
        proxy_port, app_port = free_port(), free_port()
        env = production_env(f"postgres://postgres@127.0.0.1:{primary.port}/postgres") | {
            "CACHE_PURGE_URLS": f"http://127.0.0.1:{proxy_port}",
            # Each worker's cache is its own memory: without this, a worker could read the revision before a publish
            # made by another process for a second, and staff would not see their publish at once.
            "CONTENT_REVISION_CACHE_SECONDS": "0",
        }
        populate(env)
        script = (
            "from django.contrib.auth.models import User; from django.test import Client; "
            "client = Client(); client.force_login(User.objects.create_user('replica-staff', is_staff=True), "
            "backend='django.contrib.auth.backends.ModelBackend'); print(client.cookies['sessionid'].value)"
        )
        staff_session = run_script(env, script).split()[-1]
        replica = Replica(primary)
        replica.start()
        caught_up(primary, replica)
        served = env | {
            "DATABASE_REPLICA_URLS": f"postgres://postgres@127.0.0.1:{replica.port}/postgres",
            "REPLICA_RETRY_SECONDS": "1",
        }
        server = start_gunicorn(served, app_port, workers=2, ready_path="/readyz")
        proxy = start_varnish(proxy_port, app_port, primary.dir / "varnish")
        yield Site(primary, replica, env, app_port, proxy_port, staff_session)
    finally:
        if proxy is not None:
            stop(proxy)
        if server is not None:
            stop(server)
        if replica is not None:
            replica.remove()
        primary.remove()


def test_only_a_signed_in_session_reads_the_primary(site):
    staff = {"Cookie": f"sessionid={site.staff_session}"}
    stale = {"Cookie": "sessionid=expired-or-made-up"}
    for headers, on_the_replica in (({}, True), (stale, True), (staff, False)):
        status, answer, statements = site.asked_the_replica(site.app, LOOKUP, headers)
        assert status == 200
        assert any(REVISION_READ in line for line in statements) == on_the_replica, headers
    # The cookie that signs no one in is dropped, so that the next read takes the fast path and the cache in front.
    answer = fetch(site.app, LOOKUP, stale)[1]
    assert answer["set-cookie"].startswith('sessionid=""')

    # Read-your-writes: with the replica's replay paused, staff see their publish at once.
    before = fetch(site.app, LOOKUP, staff)[1]["etag"]
    sql(site.replica.port, "SELECT pg_wal_replay_pause()")
    try:
        site.publish()
        status, answer, statements = site.asked_the_replica(site.app, LOOKUP, staff)
        assert status == 200 and answer["etag"] != before and statements == []
    finally:
        sql(site.replica.port, "SELECT pg_wal_replay_resume()")
        caught_up(site.primary, site.replica)


def test_a_replica_behind_the_primary_leaves_nothing_old_in_the_cache(site):
    path = "/api/v1/lookup/?region=420100"
    assert fetch(site.proxy, path)[0] == 200
    status, warm = fetch(site.proxy, path)
    assert (status, warm["x-cache"]) == (200, "HIT")

    sql(site.replica.port, "SELECT pg_wal_replay_pause()")
    try:
        # Both bans are sent when this returns: every worker knows the new revision, the replica does not.
        site.publish()
        status, fresh, statements = site.asked_the_replica(site.proxy, path)
        # The replica was asked, found behind, and the primary answered: the new revision, kept by the cache.
        assert (status, fresh["x-cache"]) == (200, "MISS") and fresh["etag"] != warm["etag"]
        assert any(REVISION_READ in line for line in statements)
        assert fresh["cache-control"].startswith("public, max-age=")
        status, again = fetch(site.proxy, path)
        assert (status, again["x-cache"], again["etag"]) == (200, "HIT", fresh["etag"])
        # An answer no one asked for before is computed on the primary too.
        status, _answer, statements = site.asked_the_replica(site.app, "/api/v1/lookup/?region=440300")
        assert status == 200 and any(REVISION_READ in line for line in statements)
        assert not [line for line in statements if "regions_region" in line]
    finally:
        sql(site.replica.port, "SELECT pg_wal_replay_resume()")
        caught_up(site.primary, site.replica)

    # Caught up, the replica answers again, and the cache keeps its answers.
    status, first, statements = site.asked_the_replica(site.proxy, "/api/v1/lookup/?region=310000")
    assert (status, first["x-cache"]) == (200, "MISS")
    assert [line for line in statements if "regions_region" in line], "the answer was computed on the replica"
    status, again = fetch(site.proxy, "/api/v1/lookup/?region=310000")
    assert (status, again["x-cache"], again["etag"]) == (200, "HIT", first["etag"])


def test_the_replica_answers_the_public_while_the_primary_is_away(site):
    site.primary.stop()
    try:
        # Past the workers' memo of the revision: where it would be read, the primary does not answer.
        time.sleep(1)
        for path in (LOOKUP, "/api/v1/lookup/?region=500000"):
            status, _answer, statements = site.asked_the_replica(site.app, path)
            assert status == 200 and any(REVISION_READ in line for line in statements), path
    finally:
        site.primary.start()
    caught_up(site.primary, site.replica)
    assert fetch(site.app, LOOKUP, {"Cookie": f"sessionid={site.staff_session}"})[0] == 200


def test_a_replica_that_goes_away_leaves_the_reads_to_the_primary_until_it_is_back(site):
    site.replica.stop()
    try:
        paths = (LOOKUP, LOOKUP + "&on=2025-04-01", "/api/v1/regions/420102/")
        assert [fetch(site.app, path)[0] for path in paths] == [200, 200, 200]
    finally:
        site.replica.start()
    caught_up(site.primary, site.replica)
    # It is tried again REPLICA_RETRY_SECONDS (1 here) after it failed.
    deadline = time.monotonic() + 15
    # Each time another day: an answer given before would come from the worker's answer memo, which asks no database.
    days = (f"&on=2025-05-{day:02d}" for day in range(1, 29))
    while not any(REVISION_READ in line for line in site.asked_the_replica(site.app, LOOKUP + next(days))[2]):
        assert time.monotonic() < deadline, "the reads did not return to the replica"
        time.sleep(0.5)
