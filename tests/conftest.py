"""Shared fixtures: one test database per session, holding every region and the curated content."""

import pytest
from django.core.cache import cache

from procedures.content import load_content
from regions.services import import_regions


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Importing 3,400 regions takes seconds: do it once, and let each test roll its own changes back.
    with django_db_blocker.unblock():
        import_regions()
        load_content()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with nothing cached: cached answers are keyed by revision, not by test."""
    from sources.revisions import RevisionMemo

    cache.clear()
    RevisionMemo.clear_all()
    yield
    cache.clear()
    RevisionMemo.clear_all()


@pytest.fixture
def revision_cached(db):
    """The content revision as a warm server holds it: in the cache, so query counts show only the view's own."""
    from sources.revisions import current_revision

    current_revision()
