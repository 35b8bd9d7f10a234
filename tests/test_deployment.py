"""What an operator meets deploying the app: the production image's dependencies, the settings file they copy, the
stack's health probe and the deploy checks."""

import json
import os
import re
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request

import yaml

from scripts.servers import ROOT, free_port, production_env, start_gunicorn, stop

DEVELOPMENT_TOOLS = {"pytest", "ruff", "playwright", "schemathesis", "pip-tools", "openapi-python-client"}


def pinned(lock_file: str) -> dict[str, str]:
    text = (ROOT / lock_file).read_text()
    return {name.lower(): version for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.MULTILINE)}


def requirement_names(requirements: list[str]) -> dict[str, str]:
    return {re.split(r"[\[=]", line)[0].lower(): line.split("==")[1] for line in requirements}


def test_the_image_installs_the_runtime_lock_and_no_development_tool():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, development = pinned("requirements.lock"), pinned("requirements-dev.lock")
    assert "requirements.lock" in (ROOT / "Dockerfile").read_text()
    assert not DEVELOPMENT_TOOLS & runtime.keys()
    assert not requirement_names(project["optional-dependencies"]["dev"]).keys() & runtime.keys()
    for name, version in requirement_names(project["dependencies"]).items():
        assert runtime.get(name.replace("_", "-")) == version, name
    # Development runs what production runs: the same version of every package both install.
    assert {name: development[name] for name in runtime} == runtime
    assert development.keys() >= DEVELOPMENT_TOOLS


def settings_read() -> set[str]:
    settings = (ROOT / "kb" / "settings.py").read_text()
    gunicorn = (ROOT / "gunicorn.conf.py").read_text()
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', settings)) | set(
        re.findall(r"""environ\.get\(\s*["']([A-Z0-9_]+)["']""", gunicorn)
    )


def test_env_example_lists_every_setting_the_app_reads():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z0-9_]+)=", example, re.MULTILINE))
    read = settings_read()
    assert {"DJANGO_SECRET_KEY", "REDIS_URL", "DJANGO_HSTS_SECONDS", "GUNICORN_THREADS"} <= read
    assert read - listed == set()


def active_lines(path) -> dict[str, str]:
    lines = (line for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return dict(line.split("=", 1) for line in lines)


def development_settings(extra: dict[str, str]) -> dict:
    """The settings `make run` serves with (DJANGO_DEBUG=1), in a process whose environment adds `extra`."""
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'debug': s.DEBUG, 'redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS, "
        "'database': [s.DATABASES['default']['ENGINE'], str(s.DATABASES['default']['NAME'])], "
        "'cache': s.CACHES['default']['BACKEND'], 'hosts': s.ALLOWED_HOSTS, 'cookies': s.SESSION_COOKIE_SECURE, "
        "'four_eyes': s.FOUR_EYES, 'proxies': s.REST_FRAMEWORK['NUM_PROXIES']}))"
    )
    clean = {key: value for key, value in os.environ.items() if key not in settings_read()}
    env = clean | extra | {"DJANGO_SETTINGS_MODULE": "kb.settings", "DJANGO_DEBUG": "1"}
    command = [sys.executable, "-c", f"import django; django.setup(); {script}"]
    printed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120)
    return json.loads(printed.stdout.splitlines()[-1])


def test_a_copy_of_env_example_changes_nothing_for_make_run():
    # settings.py reads .env under the environment; its lines as environment variables are what a copy would do
    # (written to the checkout's .env, it would change the settings of every other test running beside this one).
    with_copy = development_settings(active_lines(ROOT / ".env.example"))
    assert with_copy == development_settings({})
    assert with_copy["debug"] and not with_copy["redirect"] and with_copy["database"][0].endswith("sqlite3")


def test_the_stack_passes_every_setting_from_env_to_the_app_and_the_scheduler():
    stack = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("app", "scheduler"):
        service = stack["services"][name]
        assert {"path": ".env", "required": False} in service["env_file"], name
        assert service["environment"]["DJANGO_DEBUG"] == "0"
    assert stack["services"]["app"]["healthcheck"]["test"] == ["CMD", "python", "-m", "kb.probe", "/readyz"]
    # Public reads from the stack's streaming replica, copied from the primary by the scripts it mounts.
    replica = stack["services"]["db-replica"]
    assert "@db-replica:5432/" in stack["services"]["app"]["environment"]["DATABASE_REPLICA_URLS"]
    for service in (replica, stack["services"]["db"]):
        for volume in service["volumes"]:
            source = volume.split(":")[0]
            assert not source.startswith("./") or (ROOT / source).exists(), volume


def probe(port: int, allowed_hosts: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PORT": str(port), "DJANGO_ALLOWED_HOSTS": allowed_hosts}
    return subprocess.run([sys.executable, "-m", "kb.probe", "/readyz"], cwd=ROOT, env=env, capture_output=True)


def test_the_health_probe_asks_under_a_name_production_serves(tmp_path):
    hosts = ".kb.example.org,kb-internal"
    env = production_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", allowed_hosts=hosts)
    port = free_port()
    server = start_gunicorn(env, port, workers=1, ready_path="/healthz", ready_host="kb.example.org")
    try:
        # What the probe used to do: ask the loopback address, which production does not serve.
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5)
            raise AssertionError("the loopback address was served")
        except urllib.error.HTTPError as refused:
            assert refused.code == 400
        assert probe(port, hosts).returncode == 0
    finally:
        stop(server)
    stopped = probe(port, hosts)
    assert stopped.returncode == 1 and b"/readyz" in stopped.stderr


def test_the_deploy_checks_find_nothing_with_production_settings():
    env = production_env("sqlite:///:memory:") | {"DJANGO_SECURE_SSL_REDIRECT": "1"}
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    checked = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_the_stack_serves_through_the_cache_which_the_app_purges():
    stack = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    varnish, app = stack["services"]["varnish"], stack["services"]["app"]
    assert varnish["ports"] == ["8080:8080"] and "./deploy/varnish:/etc/varnish:ro" in varnish["volumes"]
    assert "http_gzip_support=off" in varnish["command"] and "/etc/varnish/default.vcl" in varnish["command"]
    # The app is reached through the cache, not from outside.
    assert all(port.startswith("127.0.0.1:") for port in app["ports"])
    backend = (ROOT / "deploy" / "varnish" / "backend.vcl").read_text()
    assert '.host = "app"' in backend and f'.port = "{app["environment"]["PORT"]}"' in backend
    for name in ("app", "scheduler"):
        environment = stack["services"][name]["environment"]
        assert environment["DJANGO_NUM_PROXIES"] == "1", name
        assert environment["CACHE_PURGE_URLS"] == "http://varnish:8080", name
        # Both publish, so both may purge.
        assert f'("{name}");' in backend
