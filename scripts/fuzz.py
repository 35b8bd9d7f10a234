"""Schema fuzzing: Schemathesis drives every operation of the live /api/schema/ of the app under gunicorn.

The app runs with production settings on a throw-away database (an SQLite file, or the PostgreSQL database that
`--database-url` names, which is dropped and recreated) holding the regions and the curated content, as after
`make setup`. Any failed check fails the run: `python -m scripts.fuzz` exits non-zero.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from scripts.servers import (
    ROOT,
    create_postgres_database,
    free_port,
    populate,
    production_env,
    staff_token,
    start_gunicorn,
    stop,
)

# Everything the API promises: no 5xx, statuses, content types, bodies and headers as documented; malformed input
# refused and well-formed input accepted.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "unsupported_method",
    "allow_header_conformance",
]
# With a token, the writes reach validation. A body the schema allows may still be refused with a 400: the schema
# cannot say that a slug is taken, that a region or source exists, or what the model checks across fields.
STAFF_CHECKS = [check for check in CHECKS if check != "positive_data_acceptance"]
# RFC 9110 evaluates If-Match before the request's content, so a malformed body under a stale If-Match gets a 412.
CONFIG = Path(__file__).with_name("schemathesis.toml")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=300, help="test cases per read operation and phase")
    parser.add_argument(
        "--max-write-examples", type=int, default=25, help="test cases per write operation, phase and client"
    )
    parser.add_argument("--jobs", type=int, default=2, help="Schemathesis processes at once")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed, to replay a run")
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL to use (its database is recreated)")
    parser.add_argument("--report-dir", default=str(ROOT / "test-artifacts" / "fuzz"), help="JUnit reports here")
    args = parser.parse_args()

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kb-fuzz-") as scratch:
        database_url = args.database_url or f"sqlite:///{Path(scratch) / 'fuzz.sqlite3'}"
        if args.database_url:
            create_postgres_database(database_url, replace=True)
        env = production_env(database_url)
        populate(env)
        port = free_port()
        server = start_gunicorn(env, port, workers=2, ready_path="/readyz")
        try:
            shards = plan_shards(operations(port), staff_token(env, username="fuzz-editor", role="editors"), args)
            with ThreadPoolExecutor(max_workers=args.jobs) as pool:
                returncodes = list(pool.map(lambda shard: run_schemathesis(port, args, shard), shards))
        finally:
            stop(server)
    # A shard killed by a signal has a negative code: it fails the run as surely as a finding does.
    returncode = next((1 for code in returncodes if code != 0), 0)
    print(f"fuzz: {time.monotonic() - started:.0f} s in all, exit status {returncode}", flush=True)
    return returncode


@dataclass(frozen=True)
class Shard:
    name: str
    operation_ids: list[str]
    max_examples: int
    checks: list[str] = field(default_factory=lambda: CHECKS)
    headers: list[str] = field(default_factory=list)


def operations(port: int) -> dict[str, str]:
    """The operation ids of the live schema, each with its HTTP method."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/schema/?format=json", timeout=30) as response:
        schema = json.load(response)
    return {
        operation["operationId"]: method.upper()
        for path_item in schema["paths"].values()
        for method, operation in path_item.items()
        if method in HTTP_METHODS
    }


HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def plan_shards(operations: dict[str, str], token: str, args: argparse.Namespace) -> list[Shard]:
    """Reads in depth, split between the jobs; the staff write operations twice, briefly: without a token (every
    answer must be the documented 401) and as an editor (validation, workflow refusals, preconditions)."""
    reads = sorted(operation_id for operation_id, method in operations.items() if method == "GET")
    writes = sorted(operation_id for operation_id, method in operations.items() if method != "GET")
    jobs = max(1, args.jobs)
    shards = [
        Shard(f"reads-{index + 1}", reads[index::jobs], args.max_examples)
        for index in range(jobs)
        if reads[index::jobs]
    ]
    if writes:
        shards.append(Shard("writes-anonymous", writes, args.max_write_examples))
        shards.append(
            Shard("writes-editor", writes, args.max_write_examples, STAFF_CHECKS, [f"Authorization: Token {token}"])
        )
    return shards


def run_schemathesis(port: int, args: argparse.Namespace, shard: Shard) -> int:
    # One worker thread per process: on CPython 3.11.7, Hypothesis parsing lambdas in several threads at once trips
    # a race in the AST constructor (gh-106905, fixed in 3.11.8) and crashes the run. Concurrency comes from
    # running several processes instead.
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG),
        "run", f"http://127.0.0.1:{port}/api/schema/",
        "--include-operation-id-regex", "^(" + "|".join(re.escape(i) for i in shard.operation_ids) + ")$",
        "--checks", ",".join(shard.checks),
        *(option for header in shard.headers for option in ("--header", header)),
        "--max-examples", str(shard.max_examples),
        "--workers", "1",
        "--phases", "examples,coverage,fuzzing",
        "--suppress-health-check", "too_slow",
        "--request-timeout", "30",
        "--report", "junit", "--report-junit-path", str(Path(args.report_dir) / f"junit-{shard.name}.xml"),
        *(["--seed", str(args.seed)] if args.seed is not None else []),
    ]  # fmt: skip
    print(f"fuzz: {shard.name} started, {len(shard.operation_ids)} operations", flush=True)
    try:
        process = subprocess.run(
            command, cwd=ROOT, env=os.environ | {"NO_COLOR": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", timeout=SHARD_TIMEOUT_SECONDS,
        )  # fmt: skip
        returncode, output = process.returncode, process.stdout
    except subprocess.TimeoutExpired as expired:
        returncode = 1
        output = f"{expired.output or ''}\nfuzz: {shard.name} still running after {SHARD_TIMEOUT_SECONDS} s: stopped"
    # Whole outputs, one at a time, rather than the shards' lines interleaved.
    with OUTPUT_LOCK:
        print(f"fuzz: {shard.name} finished, exit status {returncode}")
        print(output, flush=True)
    return returncode


# A shard takes three minutes on two busy cores; one that hangs must not hold CI until its own time limit.
SHARD_TIMEOUT_SECONDS = 20 * 60


OUTPUT_LOCK = threading.Lock()


if __name__ == "__main__":
    sys.exit(main())
