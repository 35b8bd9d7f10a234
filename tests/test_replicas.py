"""Public reads from a real streaming replica that the test builds (initdb, pg_basebackup, a second port): a replica
whose replay is paused serves its older revision consistently, staff read the primary, and a replica that goes away
leaves the reads to the primary without a 5xx."""

import subprocess
import time
import urllib.error
import urllib.request

import psycopg

from scripts.servers import free_port, populate, production_env, run_script, start_gunicorn, stop
from tests.test_database_outage import PG_BIN, Cluster, as_postgres, pytestmark  # noqa: F401 (the same skip)

LOOKUP = "/api/v1/lookup/?region=420102"


class Replica(Cluster):
    """A hot standby of `primary`, copied with pg_basebackup and following it by streaming replication."""

    def __init__(self, primary: Cluster) -> None:
        self.dir = primary.dir.parent / (primary.dir.name + "-replica")
        self.dir.mkdir()
        subprocess.run(["chown", "postgres", str(self.dir)], check=True)
        self.port = free_port()
        self.data = self.dir / "data"
        as_postgres(f"{PG_BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                    "-D", str(self.data), "-R", "-X", "stream")  # fmt: skip


def fetch(base: str, path: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return response.status, response.headers["ETag"]
    except urllib.error.HTTPError as error:
        return error.code, ""


def sql(port: int, query: str):
    with psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres", autocommit=True) as connection:
        return connection.execute(query).fetchone()


def caught_up(primary: Cluster, replica: Replica) -> None:
    target = sql(primary.port, "SELECT pg_current_wal_lsn()")[0]
    deadline = time.monotonic() + 30
    while sql(replica.port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0] is not True:
        assert time.monotonic() < deadline, "the replica did not catch up within 30 seconds"
        time.sleep(0.1)


def publish_a_change(env: dict) -> None:
    """What a publish does to the revision, in the primary, as another process."""
    run_script(env, "from curation.revisions import bump_revision; from django.db import transaction\n"
                    "with transaction.atomic(): bump_revision(public=True)")  # fmt: skip


def test_public_reads_follow_the_replica_and_fall_back_to_the_primary():
    primary = Cluster()
    replica = server = None
    try:
        primary.start()
        primary_url = f"postgres://postgres@127.0.0.1:{primary.port}/postgres"
        env = production_env(primary_url)
        populate(env)
        replica = Replica(primary)
        replica.start()
        caught_up(primary, replica)
        replica_url = f"postgres://postgres@127.0.0.1:{replica.port}/postgres"
        port = free_port()
        served = env | {"DATABASE_REPLICA_URLS": replica_url, "CONTENT_REVISION_CACHE_SECONDS": "0"}
        server = start_gunicorn(served, port, workers=2, ready_path="/readyz")
        base = f"http://127.0.0.1:{port}"
        signed_in = {"Cookie": "sessionid=someone-in-the-admin"}

        status, before = fetch(base, LOOKUP)
        assert status == 200 and fetch(base, LOOKUP, signed_in)[1] == before
        reads_before = sql(replica.port, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'")[0]

        sql(replica.port, "SELECT pg_wal_replay_pause()")
        publish_a_change(env)
        # Replay paused: every anonymous read, cached or computed afresh, is the replica's older revision...
        for path in (LOOKUP, LOOKUP, LOOKUP + "&on=2025-03-01", "/api/v1/procedures/"):
            status, etag = fetch(base, path)
            assert status == 200
            if path == LOOKUP:
                assert etag == before
        reads_after = sql(replica.port, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'")[0]
        assert reads_after > reads_before, "the anonymous reads went to the replica"
        # ...while someone signed in reads the primary, and sees the change at once.
        status, after = fetch(base, LOOKUP, signed_in)
        assert status == 200 and after != before

        sql(replica.port, "SELECT pg_wal_replay_resume()")
        caught_up(primary, replica)
        assert fetch(base, LOOKUP) == (200, after)

        # The replica goes away: reads go to the primary, without an error.
        replica.stop()
        statuses = [fetch(base, path) for path in (LOOKUP, LOOKUP + "&on=2025-04-01", "/api/v1/regions/420102/")]
        assert [status for status, _ in statuses] == [200, 200, 200]
        assert statuses[0][1] == after
    finally:
        if server is not None:
            stop(server)
        if replica is not None:
            replica.remove()
        primary.remove()
