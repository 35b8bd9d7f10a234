"""The benchmark's pieces run end to end on a small size (nothing here is timed)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.dataset import PREFIX, build_dataset
from bench.run import CEILING, FILE_SERVED, NGINX, Result, Scenario, parse_wrk, report
from procedures.models import Procedure, Step
from scripts.servers import VARNISHD, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_the_dataset_builder_fills_provinces_and_prefectures(client):
    size = build_dataset(limit=3)
    assert size.regions == 3 and size.rows > 3 * 40
    procedures = Procedure.objects.filter(slug__startswith=PREFIX)
    assert procedures.count() == 15
    assert all(5 <= Step.objects.filter(procedure=p).count() <= 10 for p in procedures)
    assert build_dataset(limit=3).rows == size.rows  # building again replaces, never duplicates
    assert Procedure.objects.filter(slug__startswith=PREFIX).count() == 15
    answer = client.get("/api/v1/lookup/", {"region": "110101"}).json()
    assert any(p["slug"].startswith(PREFIX) for p in answer["procedures"])


WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:8871
  Latency Distribution
     50%    2.06ms
     75%    3.10ms
     90%    5.00ms
     99%   45.41ms
  1440 requests in 1.00s, 10.00MB read
Requests/sec:   1440.25
Transfer/sec:     10.00MB
"""


def test_wrk_output_is_read():
    assert parse_wrk(WRK_OUTPUT) == (1440.25, 2.06, 45.41)
    assert parse_wrk(WRK_OUTPUT.replace("45.41ms", "1.20s"))[2] == 1200.0


def test_the_report_compares_with_the_ceiling_and_names_each_target():
    names = [
        CEILING,
        "bare view behind the app's middleware",
        "lookup, inheriting county, warm",
        "lookup, inheriting county, cold",
        "lookup, conditional GET → 304",
        "region search by pinyin, warm",
        "region search by pinyin, cold",
        "through Varnish: lookup, warm",
    ]
    results = [
        Result(Scenario(name, [], {}, ""), rps, 1.0, 10.0, 0)
        for name, rps in zip(names, [1000, 400, 900, 250, 950, 800, 100, 9000], strict=True)
    ]
    lines = report(results, {"publish": (200.0, 40), "elsewhere": (30.0, 3), "changed": (150.0, 18)}, visible_s=1.4)
    assert any(line.startswith("lookup, inheriting county, warm") and line.rstrip().endswith("0.90") for line in lines)
    assert "MET    warm lookup ≥ 0.8× ceiling: 0.90×" in lines
    assert "MET    lookup right after a publish ≤ 5 SQL (a region it did not change): 3 SQL" in lines
    assert "MISSED lookup right after a publish ≤ 5 SQL (a region it changed): 18 SQL" in lines
    assert "MET    warm lookup through Varnish ≥ 8× ceiling: 9.00×" in lines
    assert "MISSED a publish visible through Varnish within 1 s: 1.40 s" in lines


@pytest.mark.own_database
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk (Debian package) drives the load; .ci/run installs it")
def test_the_whole_benchmark_runs_on_a_small_size(tmp_path):
    database = tmp_path / "bench.sqlite3"
    command = [
        sys.executable, "-m", "bench.run", "--smoke", "--regions", "3", "--port", str(free_port()),
        "--database-url", f"sqlite:///{database}", "--redis-url", "", "--profile", "304",
    ]  # fmt: skip
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]
    output = finished.stdout
    for name in (CEILING, "bare view behind the app's middleware", "lookup, inheriting county, cold"):
        assert name in output
    assert "warm lookup ≥ 0.8× ceiling" in output and "lookup right after a publish" in output
    if VARNISHD:
        assert "through Varnish: lookup → 304" in output and "a publish visible through Varnish within 1 s" in output
    # CI installs nginx, so that the row is checked there.
    assert NGINX or not os.environ.get("KB_REQUIRE_TOOLS"), "nginx is not installed: apt-get install nginx-light"
    if NGINX:
        assert FILE_SERVED in output and "Varnish's warm lookup is" in output
    # Where the workers spent their time during the 304s, sampled by py-spy. A smoke run's rows last a second: on a
    # busy machine py-spy may catch no request in them, and which functions lead depends on the load.
    profile = output.split("profile: lookup, conditional GET → 304\n", 1)[1].splitlines()[0]
    assert profile.endswith("samples inside requests)") or profile.startswith("no samples inside a request")
    # Bytes per answer, raw and in each coding: the compact lookup is smaller than the whole one, compressed less.
    sizes = {
        line[:42].strip(): [int(n) for n in line[42:].split()]
        for line in output.splitlines()
        if "lookup, " in line[:42] and line[42:].split() and all(n.isdigit() for n in line[42:].split())
    }
    compact, full = sizes["lookup, compact (the default)"], sizes["lookup, full, with channels and FAQs"]
    assert compact[0] < full[0] and compact[2] < compact[1] < compact[0]
