"""The benchmark: national-scale data in PostgreSQL, the app under gunicorn with production settings, Varnish in front
of it, wrk over loopback, and a table of requests per second, latency, SQL per request and the ratio to a bare Django
view with only SecurityMiddleware and CommonMiddleware (the ceiling), measured in the same run.

    .venv/bin/python -m bench.run                 # the full run (make bench)
    .venv/bin/python -m bench.run --smoke         # a few regions, one second per endpoint: checks the pipeline
    .venv/bin/python -m bench.run --import-only   # only the admin's import of 2,000 rules (bench/imports.py)
    .venv/bin/python -m bench.run --profile 304   # also where the workers spend their time in the rows named so

"Warm" means the response cache holds the answer. "Cold" requests differ from each other in a parameter that changes
the work little (the lookup's `on` date, a list's `updated_since` a microsecond apart, another region's detail), so
every one of them misses the response cache and is computed anew, while the per-region fragments behind the lookup
and the regions' rendered rows behind lists and searches are as warm as a running server keeps them. (A made-up
parameter is a 400, and `_` is left out of the cache key: neither can miss the cache.)
"""

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.profile import record, summarize
from scripts.servers import (
    ROOT,
    VARNISHD,
    create_postgres_database,
    free_port,
    start_gunicorn,
    start_varnish,
    stop,
    wait_until_ready,
)

PYTHON = sys.executable
WRK_SCRIPT = Path(__file__).resolve().parent / "paths.lua"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/yibao_kb_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass
class Scenario:
    name: str
    paths: list[str]
    headers: dict[str, str]
    sql_path: str  # a representative request, for counting SQL in-process
    sql_cold: bool = False
    sql_cold_path: str = ""  # a request the warm-up did not make; by default sql_path with a throw-away parameter
    server: str = "app"  # who answers: "bare" (the ceiling's own Django), "app" (gunicorn) or "proxy" (Varnish)


@dataclass
class Result:
    scenario: Scenario
    rps: float
    p50_ms: float
    p99_ms: float
    sql: int | None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--port", type=int, default=8871, help="the app's (the bare ceiling and Varnish take spare ones)"
    )
    parser.add_argument("--regions", type=int, default=None, help="limit the dataset to the first N regions")
    parser.add_argument("--smoke", action="store_true", help="tiny dataset and one-second runs")
    parser.add_argument(
        "--import-only", action="store_true", help="only time the admin's import of 2,000 rules (no wrk, no server)"
    )
    parser.add_argument("--import-rows", type=int, default=2000, help="rows in the imported file")
    parser.add_argument(
        "--profile", action="append", default=[], metavar="TEXT",
        help="sample the app's workers with py-spy during the rows whose name contains TEXT (repeatable)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.connections, args.regions = 1, 4, args.regions or 5
    return args


def ports(args: argparse.Namespace) -> dict[str, int]:
    if not hasattr(args, "spare_ports"):
        args.spare_ports = (free_port(), free_port(), free_port())
    return {"app": args.port, "bare": args.spare_ports[0], "proxy": args.spare_ports[1], "file": args.spare_ports[2]}


NGINX = shutil.which("nginx") or next((path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None)
# What this machine can serve at all for a body of the lookup's size: the same bytes from a file, by nginx.
FILE_SERVED = "nginx: the same bytes from a file"


def start_nginx(port: int, body: Path, workdir: Path, workers: int) -> subprocess.Popen:
    """nginx in the foreground on 127.0.0.1:`port`, serving `body` as /ceiling.json with as little work as it can
    (sendfile, no access log, keep-alive without a limit), as many workers as the benchmark's gunicorn."""
    workdir.mkdir(parents=True, exist_ok=True)
    root = workdir / "root"
    root.mkdir()
    shutil.copy(body, root / "ceiling.json")
    for path in (workdir.parent, workdir, root, root / "ceiling.json"):
        path.chmod(0o755)  # nginx's workers run as an unprivileged user when it is started as root
    temp = " ".join(
        f"{kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (workdir / "nginx.conf").write_text(
        f"worker_processes {workers}; pid {workdir / 'nginx.pid'}; error_log {workdir / 'error.log'};\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000000; {temp}\n"
        f"  server {{ listen 127.0.0.1:{port}; root {root}; default_type application/json; }} }}\n"
    )
    server = subprocess.Popen(
        [NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    wait_until_ready(server, "nginx", f"http://127.0.0.1:{port}/ceiling.json")
    return server


def environment(args: argparse.Namespace, body_path: Path) -> dict[str, str]:
    # Production settings, as docker-compose.yml runs them, less TLS (wrk speaks plain http on loopback). The throttle
    # counts every request, as in production, at a rate the load never reaches.
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "kb.settings",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "benchmark-only-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "API_ANON_THROTTLE_RATE": "100000000/m",
        "BENCH_CEILING_BODY": str(body_path),
        # The same share of wrk's connections for each worker of both servers (gunicorn.conf.py says why). gunicorn
        # keeps at most this less its 4 threads idle: past that, both servers close and wrk reopens connections alike.
        # At least one above the threads, or gunicorn keeps none alive at all (a smoke run's 4 connections).
        "GUNICORN_WORKER_CONNECTIONS": str(max(-(-args.connections // args.workers), 5)),
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *command: str) -> None:
    subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(args: argparse.Namespace, env: dict[str, str]) -> None:
    if args.database_url.startswith("postgres"):
        create_postgres_database(args.database_url)
    manage(env, "migrate", "--no-input")
    manage(env, "import_regions")
    manage(env, "load_content", "--missing-only")
    os.environ.update(env)
    import django

    django.setup()
    from bench.dataset import build_dataset

    size = build_dataset(limit=args.regions)
    print(f"dataset: {size.rows} benchmark rows on {size.regions} provinces and prefectures")


def scenarios(smoke: bool) -> tuple[list[Scenario], str]:
    from regions.models import Region

    counties = list(
        Region.objects.filter(level="county", parent__level="prefecture")
        .order_by("code")
        .values_list("code", flat=True)
    )
    county = "420102" if "420102" in counties else counties[0]
    neighbour = "420103" if "420103" in counties else counties[1]
    terms = sorted({pinyin[:5] for pinyin in Region.objects.values_list("pinyin", flat=True)})
    # What people type most: the first syllables of prefecture names (a few hundred distinct searches).
    popular = sorted({p[:4] for p in Region.objects.filter(level="prefecture").values_list("pinyin", flat=True)})
    # The whole answer, as the figures before the compact default measured it; the compact one has its own rows.
    lookup = f"/api/v1/lookup/?region={county}&detail=full&include=channels,faqs"
    compact = f"/api/v1/lookup/?region={county}"
    search = "/api/v1/regions/?search=zhang"
    procedures = "/api/v1/procedures/?region_within=420000&page_size=50"
    detail = f"/api/v1/regions/{county}/"
    # Every region once: more than a cold run's requests, so that few of them repeat.
    all_codes = list(Region.objects.exclude(code=county).order_by("?").values_list("code", flat=True))
    unique = range(200 if smoke else 50_000)

    def cold(paths: list[str], vary: str = "updated_since") -> list[str]:
        return [f"{paths[n % len(paths)]}&{varied(vary, n)}" for n in unique]

    return [
        Scenario(CEILING, ["/bench/ceiling/"], {}, "", server="bare"),
        Scenario("bare view behind the app's middleware", ["/bench/ceiling/"], {}, ""),
        Scenario("lookup, inheriting county, warm", [lookup], {}, lookup),
        Scenario(
            "lookup, inheriting county, cold",
            cold([f"/api/v1/lookup/?region={c}" for c in counties], vary="on"),
            {},
            lookup,
            True,
            f"/api/v1/lookup/?region={neighbour}&detail=full&include=channels,faqs",
        ),
        Scenario("lookup, conditional GET → 304", [lookup], {"If-None-Match": "{etag}"}, lookup),
        Scenario("lookup, compact, brotli (a phone), warm", [compact], {"Accept-Encoding": "br, gzip"}, compact),
        Scenario("region search by pinyin, warm", [f"/api/v1/regions/?search={t}" for t in popular], {}, search),
        # Every search new: the terms in turn, each with page sizes from 10 to 59 (a page size leaves the search on
        # the index; another filter would not).
        Scenario(
            "region search by pinyin, cold",
            [f"/api/v1/regions/?search={terms[n % len(terms)]}&page_size={10 + n // len(terms) % 50}" for n in unique],
            {}, search, True, "/api/v1/regions/?search=zhang&page_size=37",
        ),
        Scenario("procedures, filtered, page of 50, warm", [procedures], {}, procedures),
        Scenario("procedures, filtered, page of 50, cold", cold([procedures]), {}, procedures, True),
        Scenario("region detail, warm", [detail], {}, detail),
        Scenario(
            "region detail, cold",
            [f"/api/v1/regions/{code}/" for code in all_codes],
            {},
            detail,
            True,
            f"/api/v1/regions/{neighbour}/",
        ),
        *([Scenario(FILE_SERVED, ["/ceiling.json"], {}, "", server="file")] if NGINX else []),
        *(
            [
                Scenario("through Varnish: lookup, warm", [lookup], {}, "", server="proxy"),
                Scenario("through Varnish: lookup → 304", [lookup], {"If-None-Match": "{etag}"}, "", server="proxy"),
                Scenario(
                    "through Varnish: region search, warm",
                    [f"/api/v1/regions/?search={t}" for t in popular], {}, "", server="proxy",
                ),
            ]
            if VARNISHD else []
        ),
    ], lookup  # fmt: skip


CEILING = "ceiling: bare view (Security, Common)"


def varied(parameter: str, n: int) -> str:
    """A value of `parameter` for the n-th cold request: distinct for each n, and barely changing the answer."""
    if parameter == "on":
        return f"on={datetime.date(2000, 1, 1) + datetime.timedelta(days=n)}"
    # Any moment in 1901 holds everything: the list is the same, its cache key is not.
    moment = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(microseconds=n)
    return f"updated_since={moment.isoformat().replace('+00:00', 'Z')}"


def sql_per_request(scenario: Scenario) -> int:
    """Counts the queries of one request in-process, with the same settings, as a running server would run it."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    path = scenario.sql_path
    client.get(path)  # what a running server has warm: revision, fragments, this very answer
    if scenario.sql_cold:
        path = scenario.sql_cold_path or f"{path}&{varied('updated_since', time.monotonic_ns() % 10**9)}"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries.captured_queries)


def after_publish(counties: list[str], samples: int) -> dict[str, tuple[float, int] | None]:
    """A publish (a rule's edit saved, with what its commit prepares), then lookups right after it by a worker that has
    just started (its memory empty, the shared cache as the publish left it): of a county whose chain the publish did
    not change ("elsewhere"), and of one whose chain it did ("changed"). Each as (median milliseconds, most SQL
    queries), or None where no sample had such a pair."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from curation.revisions import RevisionMemo
    from lookup.cache import prepare_after_publish, region_chain
    from passwords.models import DefaultPasswordRule

    client = Client()
    measured: dict[str, list[tuple[float, int]]] = {"publish": [], "elsewhere": [], "changed": []}

    def timed(work) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            work()
            elapsed = (time.perf_counter() - start) * 1000
        return elapsed, len(queries.captured_queries)

    def lookup(code: str) -> tuple[float, int]:
        # A worker that has just started: nothing in its memory, the shared cache as the publish left it.
        RevisionMemo.clear_all()

        def answered() -> None:
            assert client.get(f"/api/v1/lookup/?region={code}").status_code == 200

        return timed(answered)

    # A running server has seen a publish before: the fingerprints its commit left tell the next one what it changed.
    prepare_after_publish()
    picked = counties[:: max(1, len(counties) // samples)][:samples]
    for number, (code, other) in enumerate(zip(picked, picked[1:] + picked[:1], strict=True)):
        # A rule the other county's answer shows and this one's does not.
        rule = (
            DefaultPasswordRule.objects.filter(status="published", region__code__in=region_chain(other)["codes"])
            .exclude(region__code__in=region_chain(code)["codes"])
            .first()
        )
        if rule is None:
            continue
        client.get(f"/api/v1/lookup/?region={code}")  # a running server has answered both before
        client.get(f"/api/v1/lookup/?region={other}")
        rule.note = f"基准测试的第{number}次修改"
        # With what the commit prepares for the first lookups (lookup.cache.prepare_after_publish).
        measured["publish"].append(timed(rule.save))
        measured["elsewhere"].append(lookup(code))
        measured["changed"].append(lookup(other))
    return {
        where: (sorted(ms for ms, _ in found)[len(found) // 2], max(sql for _, sql in found)) if found else None
        for where, found in measured.items()
    }


def warm_rows() -> None:
    """A running server has rendered every region's row after its first minutes (lists and searches reuse them)."""
    from django.test import Client

    from kb.api.pagination import MAX_PAGE_SIZE
    from regions.models import Region

    client = Client()
    for page in range(1, Region.objects.count() // MAX_PAGE_SIZE + 2):
        client.get(f"/api/v1/regions/?page_size={MAX_PAGE_SIZE}&page={page}")


def warm_fragments(counties: list[str]) -> None:
    """A running server has every prefecture's and province's fragment cached after its first minutes."""
    from django.test import Client

    client = Client()
    seen: set[str] = set()
    for code in counties:
        if code[:4] not in seen:
            seen.add(code[:4])
            client.get(f"/api/v1/lookup/?region={code}")


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> tuple[float, float, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

    def percentile(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE).groups()
        return float(value) * UNITS[unit]

    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"wrk saw error responses:\n{output}")
    return rps, percentile("50"), percentile("99")


def run_wrk(args: argparse.Namespace, scenario: Scenario, workdir: Path) -> tuple[float, float, float]:
    paths_file = workdir / "paths.txt"
    paths_file.write_text("\n".join(scenario.paths) + "\n")
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    for name, value in scenario.headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(WRK_SCRIPT), f"http://127.0.0.1:{ports(args)[scenario.server]}"]
    output = subprocess.run(command, env=os.environ | {"WRK_PATHS": str(paths_file)}, capture_output=True, text=True)
    if output.returncode:
        raise SystemExit(output.stderr)
    return parse_wrk(output.stdout)


def warm_up(args: argparse.Namespace, all_scenarios: list[Scenario], workdir: Path) -> None:
    """Loads the workers for a few seconds first, so that the first measured run does not pay their start-up."""
    brief = argparse.Namespace(**vars(args) | {"duration": min(args.duration, 3)})
    for scenario in all_scenarios[:3]:
        run_wrk(brief, scenario, workdir)


def workers_of(server) -> list[int]:
    """The process ids of a gunicorn master's workers."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def publish_visible_through_proxy(proxy_port: int, path: str) -> float:
    """Seconds from the commit of a change the public sees until the proxy answers anew (it held the answer)."""
    from django.conf import settings
    from django.db import transaction
    from django.test import override_settings

    from curation.revisions import bump_revision

    url = f"http://127.0.0.1:{proxy_port}{path}"
    before = urllib.request.urlopen(url).headers["ETag"]
    # This process publishes, as the admin would, and so tells the proxy.
    with override_settings(CACHE_PURGE_URLS=[f"http://127.0.0.1:{proxy_port}"]):
        # From the commit on: what runs after it (the ban's thread, then what the commit prepares) counts too.
        started = time.monotonic()
        with transaction.atomic():
            bump_revision(public=True)
        visible = float("inf")
        while time.monotonic() - started < 10 and visible == float("inf"):
            if urllib.request.urlopen(url).headers["ETag"] != before:
                visible = time.monotonic() - started
            time.sleep(0.01)
        # The ban is sent again once every worker has read the new revision (kb/purge.py): the proxy must still be
        # there to take it.
        time.sleep(settings.PUBLIC_REVISION_MEMO_SECONDS + 0.5)
    return visible


def report(
    results: list[Result], published: dict[str, tuple[float, int] | None], visible_s: float | None = None
) -> list[str]:
    ceiling = results[0].rps
    lines = [
        f"{'endpoint':42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'SQL/req':>8} {'× ceiling':>10}",
        "-" * 90,
    ]
    for result in results:
        sql = "-" if result.sql is None else str(result.sql)
        lines.append(
            f"{result.scenario.name:42} {result.rps:9.0f} {result.p50_ms:8.2f} {result.p99_ms:8.2f} {sql:>8} "
            f"{result.rps / ceiling:10.2f}"
        )
    by_name = {result.scenario.name: result for result in results}

    def target(label: str, ok: bool, detail: str) -> str:
        return f"{'MET   ' if ok else 'MISSED'} {label}: {detail}"

    warm = by_name["lookup, inheriting county, warm"]
    cold = by_name["lookup, inheriting county, cold"]
    not_modified = by_name["lookup, conditional GET → 304"]
    search = by_name["region search by pinyin, warm"]
    search_cold = by_name["region search by pinyin, cold"]
    after = {
        "publish": "a publish, with what it prepares (in-process)",
        "elsewhere": "lookup after a publish elsewhere (in-process)",
        "changed": "lookup after a publish there (in-process)",
    }
    for where, label in after.items():
        ms, sql = published[where] or (float("nan"), "-")
        lines.append(f"{label:42} {'':>9} {ms:8.2f} {'':>8} {sql:>8}")

    def after_publish_target(where: str, label: str) -> str:
        if published[where] is None:
            return f"NOT MEASURED {label}: no sample had such a pair of counties"
        sql = published[where][1]
        return target(label, sql <= 5, f"{sql} SQL")

    lines += [
        "",
        target("warm lookup ≥ 0.8× ceiling", warm.rps >= 0.8 * ceiling, f"{warm.rps / ceiling:.2f}×"),
        target("304 ≥ 0.9× ceiling", not_modified.rps >= 0.9 * ceiling, f"{not_modified.rps / ceiling:.2f}×"),
        target(
            "cold lookup ≥ 0.3× ceiling with ≤ 2 SQL (response not cached)",
            cold.rps >= 0.3 * ceiling and (cold.sql or 0) <= 2,
            f"{cold.rps / ceiling:.2f}×, {cold.sql} SQL",
        ),
        after_publish_target("elsewhere", "lookup right after a publish ≤ 5 SQL (a region it did not change)"),
        after_publish_target("changed", "lookup right after a publish ≤ 5 SQL (a region it changed)"),
        target("region search p99 < 20 ms (popular searches)", search.p99_ms < 20, f"p99 {search.p99_ms:.1f} ms"),
        target(
            "region search p99 < 20 ms (every search new)", search_cold.p99_ms < 20, f"p99 {search_cold.p99_ms:.1f} ms"
        ),
    ]
    proxied = by_name.get("through Varnish: lookup, warm")
    if proxied is not None:
        lines.append(
            target(
                "warm lookup through Varnish ≥ 8× ceiling", proxied.rps >= 8 * ceiling, f"{proxied.rps / ceiling:.2f}×"
            )
        )
    from_file = by_name.get(FILE_SERVED)
    if proxied is not None and from_file is not None:
        lines.append(
            f"       (nginx serves the lookup's bytes from a file at {from_file.rps / ceiling:.2f}× the ceiling: "
            f"Varnish's warm lookup is {proxied.rps / from_file.rps:.0%} of that)"
        )
    if visible_s is not None:
        lines.append(target("a publish visible through Varnish within 1 s", visible_s <= 1, f"{visible_s:.2f} s"))
    return lines


# Answers whose size a phone pays for, each fetched raw, gzipped and with brotli from the running server.
SIZED = [
    ("lookup, compact (the default)", "/api/v1/lookup/?region={county}"),
    ("lookup, full, with channels and FAQs", "/api/v1/lookup/?region={county}&detail=full&include=channels,faqs"),
    ("procedures, page of 50", "/api/v1/procedures/?region_within=420000&page_size=50"),
    ("widget page", "/embed/v1/{county}/"),
    ("OpenAPI schema", "/api/schema/"),
]


def bytes_per_answer(port: int, county: str) -> list[str]:
    lines = [f"{'answer (bytes on the wire)':42} {'raw':>9} {'gzip':>8} {'br':>8}", "-" * 70]
    for label, path in SIZED:
        sizes = []
        for coding in ("identity", "gzip", "br"):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path.format(county=county)}")
            request.add_header("Accept-Encoding", coding)
            with urllib.request.urlopen(request) as response:
                sizes.append(len(response.read()))
        lines.append(f"{label:42} {sizes[0]:9} {sizes[1]:8} {sizes[2]:8}")
    return lines


def import_figures(args: argparse.Namespace) -> list[str]:
    from bench.imports import measure_import
    from bench.imports import report as import_report

    return import_report(measure_import(args.import_rows))


def main() -> None:
    args = parse_args()
    if args.import_only:
        with tempfile.TemporaryDirectory(prefix="yibao-bench-") as tmp:
            body_path = Path(tmp) / "ceiling.json"
            body_path.write_bytes(b"{}")
            prepare(args, environment(args, body_path))
            print("\n".join(import_figures(args)))
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="yibao-bench-") as tmp:
        workdir = Path(tmp)
        body_path = workdir / "ceiling.json"
        body_path.write_bytes(b"{}")
        env = environment(args, body_path)
        prepare(args, env)
        from django.core.cache import cache
        from django.test import Client

        cache.clear()
        all_scenarios, lookup = scenarios(args.smoke)
        from regions.models import Region

        counties = list(Region.objects.filter(level="county").order_by("code").values_list("code", flat=True))
        published = after_publish(counties, samples=5 if args.smoke else 40)
        warm_fragments(counties)
        warm_rows()
        warm_answer = Client().get(lookup)
        # The ceiling returns a body exactly as large as the lookup's.
        body_path.write_bytes(warm_answer.content)
        sql = {s.name: sql_per_request(s) for s in all_scenarios if s.sql_path}
        client = Client()
        for path in next(s for s in all_scenarios if s.name == "region search by pinyin, warm").paths:
            client.get(path)  # popular searches have been asked before
        port = ports(args)
        log = workdir / "app.log"
        # The app logs every request, as in production, to a file.
        app_env = env | {"DJANGO_LOG_LEVEL": "INFO", "CACHE_PURGE_URLS": f"http://127.0.0.1:{port['proxy']}"}
        servers = [
            start_gunicorn(app_env, port["app"], workers=args.workers, ready_path="/bench/ceiling/", log_path=log)
        ]
        visible_s = None
        profiles: list[str] = []
        try:
            bare = env | {"DJANGO_SETTINGS_MODULE": "bench.bare_settings"}
            servers.append(start_gunicorn(bare, port["bare"], workers=args.workers, ready_path="/bench/ceiling/"))
            if VARNISHD:
                servers.append(start_varnish(port["proxy"], port["app"], workdir / "varnish"))
            if NGINX:
                servers.append(start_nginx(port["file"], body_path, workdir / "nginx", args.workers))
            etag = urllib.request.urlopen(f"http://127.0.0.1:{port['app']}{lookup}").headers["ETag"]
            county = lookup.split("region=")[1].split("&")[0]
            sizes = bytes_per_answer(port["app"], county)
            warm_up(args, all_scenarios, workdir)
            results = []
            for scenario in all_scenarios:
                scenario.headers = {k: v.replace("{etag}", etag) for k, v in scenario.headers.items()}
                sampled = any(text in scenario.name for text in args.profile) and scenario.server == "app"
                directory = workdir / f"profile-{len(results)}"
                if sampled:
                    directory.mkdir()
                    samplers = record(workers_of(servers[0]), args.duration, directory)
                rps, p50, p99 = run_wrk(args, scenario, workdir)
                results.append(Result(scenario, rps, p50, p99, sql.get(scenario.name)))
                if sampled:
                    for sampler in samplers:
                        sampler.wait()
                    profiles += ["", f"profile: {scenario.name}", *summarize(sorted(directory.glob("*.txt")))]
            # The ceiling again at the end: on a shared two-core machine throughput drifts during a run, and the
            # mean of both ends is the fairer yardstick.
            rps, p50, p99 = run_wrk(args, all_scenarios[0], workdir)
            first = results[0]
            results[0] = Result(
                first.scenario, (first.rps + rps) / 2, (first.p50_ms + p50) / 2, max(first.p99_ms, p99), None
            )
            if VARNISHD:
                visible_s = publish_visible_through_proxy(port["proxy"], lookup)
        finally:
            for server in reversed(servers):
                stop(server)
    print(
        f"\n{os.cpu_count()} CPUs, gunicorn {args.workers} workers × 4 threads, wrk {args.threads} threads × "
        f"{args.connections} connections, {args.duration} s per endpoint, lookup body {len(warm_answer.content)} bytes"
    )
    print("\n".join(report(results, published, visible_s)))
    if not VARNISHD:
        print("(varnishd is not installed, apt-get install varnish: no rows through the proxy)")
    print("\n".join(profiles))
    print("\n" + "\n".join(sizes))
    # After the load runs: the import writes rules and bumps the content revision, which would make every cache cold.
    print("\n" + "\n".join(import_figures(args)))


if __name__ == "__main__":
    main()
