"""Fixtures of the curation tests."""

import pytest
from django.test import override_settings


@pytest.fixture
def four_eyes():
    """Production's four eyes (the test settings lift it): someone other than the last editor publishes."""
    with override_settings(FOUR_EYES=True):
        yield
