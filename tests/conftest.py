"""Shared fixtures: one test database per session, holding every region and the curated content."""

import shutil

import pytest
from django.core.cache import cache

from content.loader import load_content
from regions.services import import_regions


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Importing 3,400 regions takes seconds: do it once, and let each test roll its own changes back.
    with django_db_blocker.unblock():
        import_regions()
        load_content()


@pytest.fixture(autouse=True)
def empty_cache(settings):
    """Each test starts with nothing cached: cached answers and export snapshots are keyed by revision, not by test."""
    from curation.revisions import RevisionMemo

    def empty() -> None:
        cache.clear()
        RevisionMemo.clear_all()
        shutil.rmtree(settings.EXPORT_DIR, ignore_errors=True)

    empty()
    yield
    empty()


@pytest.fixture
def revision_cached(db):
    """The content revision as a warm server holds it: in the cache, so query counts show only the view's own."""
    from curation.revisions import current_revision

    current_revision()


@pytest.fixture
def django_capture_on_commit_callbacks(django_capture_on_commit_callbacks):
    """pytest-django's, with one addition. The test's own transaction never commits, so the content revision's
    commit hooks of what the test changed earlier never run; a change captured here must bump the revision afresh
    (as the next transaction would), not join the earlier bump as one more change of the same transaction."""
    from django.db import connection

    from curation.revisions import ForgetOnCommit

    def capture(**kwargs):
        for _ids, hook, _robust in connection.run_on_commit:
            if isinstance(hook, ForgetOnCommit):
                hook.ran = True
        return django_capture_on_commit_callbacks(**kwargs)

    return capture


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs a change as if its transaction committed, as the admin's or the loader's would: the content revision
    (and so every cached answer) moves on only when a change commits."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            return change()

    return run


def staff_in(django_user_model, group: str):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username=f"{group}-user", password="not-used", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db, django_user_model):
    """A member of the editors group that the roles migration creates."""
    return staff_in(django_user_model, "editors")


@pytest.fixture
def publisher(db, django_user_model):
    """A member of the publishers group that the roles migration creates."""
    return staff_in(django_user_model, "publishers")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def publisher_client(publisher):
    from django.test import Client

    client = Client()
    client.force_login(publisher)
    return client


@pytest.fixture
def fresh_database_url(tmp_path):
    """The URL of a new, empty database of the kind the tests run on: an SQLite file, or a PostgreSQL database on
    the test database's server (named after it, dropped afterwards)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    settings = connection.settings_dict
    name = f"{settings['NAME']}_fresh"
    server = f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT'] or 5432}"

    def drop_and(create: bool) -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if create:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    drop_and(create=True)
    try:
        yield f"{server}/{name}"
    finally:
        drop_and(create=False)
