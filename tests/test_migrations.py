"""Migrations run backward and forward again on a populated database, and the content loads back unchanged: on a
database of the kind the tests run on (a new SQLite file, or a new PostgreSQL database beside the test one)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def manage(env: dict[str, str], *command: str) -> str:
    finished = subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished.stdout


def test_migrations_run_backward_and_forward_on_a_populated_database(fresh_database_url):
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "kb.settings_test",
        "DATABASE_URL": fresh_database_url,
        "REDIS_URL": "",
    }
    manage(env, "migrate", "--no-input")
    manage(env, "import_regions")
    manage(env, "load_content")
    # Every app's migrations depend on regions and sources: taking those to zero unapplies everything.
    manage(env, "migrate", "sources", "zero", "--no-input")
    manage(env, "migrate", "regions", "zero", "--no-input")
    assert "[X]" not in manage(env, "showmigrations", "regions", "curation", "sources", "passwords", "procedures")
    manage(env, "migrate", "--no-input")
    manage(env, "import_regions")
    output = manage(env, "load_content")
    assert "Created:" in output and "cardtype" in output
    assert "Updated: nothing." in manage(env, "load_content")
