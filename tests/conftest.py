"""Shared fixtures: one test database per session, holding every region and the curated content."""

import pytest

from procedures.content import load_content
from regions.services import import_regions


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Importing 3,400 regions takes seconds: do it once, and let each test roll its own changes back.
    with django_db_blocker.unblock():
        import_regions()
        load_content()
