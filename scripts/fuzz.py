"""Schema fuzzing: Schemathesis drives every operation of the live /api/schema/ of the app under gunicorn.

The app runs with production settings on a throw-away database (an SQLite file, or the PostgreSQL database that
`--database-url` names, which is dropped and recreated) holding the regions and the curated content, as after
`make setup`. Any failed check fails the run: `python -m scripts.fuzz` exits non-zero.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.servers import ROOT, free_port, populate, production_env, start_gunicorn, stop

# Everything the API promises: no 5xx, statuses, content types, bodies and headers as documented; malformed input
# refused and well-formed input accepted. Checks about authentication and stateful links do not apply to an
# anonymous read-only API.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=300, help="test cases per read operation and phase")
    parser.add_argument(
        "--max-write-examples", type=int, default=25, help="test cases per write operation and phase (no token)"
    )
    parser.add_argument("--workers", type=int, default=4, help="concurrent Schemathesis workers")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed, to replay a run")
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL to use (its database is recreated)")
    parser.add_argument("--report-dir", default=str(ROOT / "test-artifacts" / "fuzz"), help="JUnit report here")
    args = parser.parse_args()

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kb-fuzz-") as scratch:
        database_url = args.database_url or f"sqlite:///{Path(scratch) / 'fuzz.sqlite3'}"
        if args.database_url:
            recreate_postgres_database(database_url)
        env = production_env(database_url)
        populate(env)
        port = free_port()
        server = start_gunicorn(env, port, workers=2, ready_path="/readyz")
        try:
            # Reads in depth; the staff write operations, which answer an anonymous client with a 401 whatever it
            # sends, only enough to show that every refusal is the documented problem+json.
            returncodes = [
                run_schemathesis(port, args, ["--include-method", "GET"], args.max_examples),
                run_schemathesis(port, args, ["--exclude-method", "GET"], args.max_write_examples),
            ]
        finally:
            stop(server)
    returncode = max(returncodes)
    print(f"fuzz: {time.monotonic() - started:.0f} s in all, exit status {returncode}", flush=True)
    return returncode


def run_schemathesis(port: int, args: argparse.Namespace, selection: list[str], max_examples: int) -> int:
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run", f"http://127.0.0.1:{port}/api/schema/",
        *selection,
        "--checks", ",".join(CHECKS),
        "--max-examples", str(max_examples),
        "--workers", str(args.workers),
        "--phases", "examples,coverage,fuzzing",
        "--suppress-health-check", "too_slow",
        "--request-timeout", "30",
        "--report", "junit", "--report-dir", args.report_dir,
        *(["--seed", str(args.seed)] if args.seed is not None else []),
    ]  # fmt: skip
    for attempt in range(1, TOOL_CRASH_ATTEMPTS + 1):
        returncode, output = run_and_echo(command)
        # CPython 3.11.7 (gh-106905, fixed in 3.11.8) can crash Hypothesis while it describes a strategy: a
        # "Runtime Error" of the tool, not a finding about the API. Such a run, with no failure found, is run again.
        tool_crashed = TOOL_CRASH in output and "=== FAILURES ===" not in output
        if returncode == 0 or not tool_crashed or attempt == TOOL_CRASH_ATTEMPTS:
            return returncode
        print(f"fuzz: Schemathesis crashed ({TOOL_CRASH}) without a finding; running it again", flush=True)
    return returncode


TOOL_CRASH = "AST constructor recursion depth mismatch"
TOOL_CRASH_ATTEMPTS = 3


def run_and_echo(command: list[str]) -> tuple[int, str]:
    process = subprocess.Popen(
        command, cwd=ROOT, env=os.environ | {"NO_COLOR": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, errors="replace",
    )  # fmt: skip
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line)
    return process.wait(), "".join(lines)


def recreate_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


if __name__ == "__main__":
    sys.exit(main())
