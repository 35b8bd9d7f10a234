"""Region constraints: enforced by the database, explained by full_clean."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError
from django.utils import translation

from regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["4201", "42010a", "4201000"])
def test_database_rejects_a_code_that_is_not_six_digits(code):
    with pytest.raises((IntegrityError, DataError)):
        # bulk_create skips model validation: this reaches the database's own check.
        Region.objects.bulk_create([Region(code=code, name="测试", level="county", parent=Region.objects.national())])


def test_database_rejects_a_province_without_a_parent():
    with pytest.raises(IntegrityError):
        Region.objects.create(code="999999", name="测试", level="province", parent=None)


def test_database_rejects_a_second_national_root():
    with pytest.raises(IntegrityError):
        Region.objects.create(code="999999", name="第二个全国", level="country", parent=None)


def test_full_clean_explains_a_second_national_root():
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            Region(code="999999", name="第二个全国", level="country").full_clean()
        assert "already a national root" in str(error.value)


def test_a_region_added_by_hand_gets_its_pinyin():
    region = Region.objects.create(
        code="420199", name="测试新区", level="county", parent=Region.objects.get(code="420100")
    )
    assert (region.pinyin, region.initials, region.short_name) == ("ceshixinqu", "csxq", "测试")
    region.name = "长治新区"
    region.save(update_fields=["name"])
    region.refresh_from_db()
    assert region.pinyin == "changzhixinqu"


PYPINYIN_ON_FIRST_USE = """
import sys
import django

django.setup()
import kb.urls, kb.wsgi  # every app, view and middleware a worker loads before its first request

assert "pypinyin" not in sys.modules, "loaded by a worker that has written nothing"
from kb.slugs import pinyin_slug
from regions.names import pinyin_of

assert pinyin_of("长治市") == ("changzhishi", "czs")  # the place names' own readings, given when it is loaded
assert pinyin_slug("长沙 12333", max_length=50) == "chang-sha-12333"
assert "pypinyin" in sys.modules
# Readings added once it is loaded are given to it at once (pypinyin's own is zhangda).
from kb.slugs import add_phrase_readings

add_phrase_readings({"长大": [["cháng"], ["dà"]]})
assert pinyin_of("长大")[0] == "changda"
"""


@pytest.mark.django_db(False)
def test_pypinyin_is_loaded_on_first_use_not_with_the_app():
    """Its dictionaries are some 57 MB and 190,000 lists, which the garbage collector would walk in every full
    collection of a worker that only answers reads."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    environment = os.environ | {"DJANGO_SETTINGS_MODULE": "kb.settings_test"}
    result = subprocess.run(
        [sys.executable, "-c", PYPINYIN_ON_FIRST_USE],
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_a_cited_source_cannot_be_deleted():
    from django.db.models import ProtectedError

    from sources.models import Source

    with pytest.raises(ProtectedError):
        Source.objects.first().delete()


def test_database_rejects_a_duplicate_code():
    with pytest.raises(IntegrityError):
        Region.objects.create(code="420100", name="重复", level="prefecture", parent=Region.objects.get(code="420000"))


def test_full_clean_explains_a_bad_code_and_a_bad_parent():
    region = Region(code="42A100", name="测试", level="prefecture", parent=Region.objects.get(code="420100"))
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            region.full_clean()
        assert "exactly six digits" in str(error.value.message_dict["code"])
        assert "cannot sit under" in str(error.value.message_dict["parent"])


def test_full_clean_speaks_chinese_by_default():
    region = Region(code="42A100", name="测试", level="county", parent=Region.objects.get(code="420100"))
    with pytest.raises(ValidationError) as error:
        region.full_clean()
    assert "六位数字" in str(error.value.message_dict["code"])


def test_a_region_with_children_cannot_be_deleted():
    with pytest.raises(ProtectedError):
        Region.objects.get(code="420100").delete()


def test_str_names_the_region_and_its_code():
    assert str(Region.objects.get(code="420102")) == "江岸区（420102）"
