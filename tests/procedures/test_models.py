"""Procedure, step and channel constraints, and the step services."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from procedures.models import Channel, Step
from procedures.services import park_steps, renumber_steps
from regions.models import Region
from tests.factories import make_channel, make_procedure

pytestmark = pytest.mark.django_db


def test_database_rejects_two_steps_on_one_position():
    procedure = make_procedure(steps=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.create(procedure=procedure, position=2, instruction="重复")


def test_database_rejects_position_zero():
    procedure = make_procedure(steps=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.create(procedure=procedure, position=0, instruction="零")


def test_full_clean_explains_a_duplicate_position_and_a_bad_ui_path():
    procedure = make_procedure(steps=1)
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            Step(procedure=procedure, position=1, instruction="x", ui_path="医保码 > 修改密码").full_clean()
        assert "cannot share a position" in str(error.value)
        assert "【】" in " ".join(error.value.message_dict["ui_path"])


def test_steps_come_back_in_order():
    procedure = make_procedure(steps=0)
    for position in (3, 1, 2):
        Step.objects.create(procedure=procedure, position=position, instruction=str(position))
    assert [s.instruction for s in procedure.steps.all()] == ["1", "2", "3"]


def test_renumber_closes_gaps_in_order():
    procedure = make_procedure(steps=4)
    procedure.steps.get(position=2).delete()
    park_steps(procedure=procedure, step_ids=[procedure.steps.get(position=1).pk])
    renumber_steps(procedure=procedure)
    assert list(procedure.steps.values_list("position", "instruction")) == [(1, "第3步"), (2, "第4步"), (3, "第1步")]


def test_database_rejects_a_hotline_without_a_phone():
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.create(slug="x", kind="hotline", name="热线", region=Region.objects.national(), phone="")


def test_database_rejects_a_phone_with_letters():
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.create(slug="x", kind="counter", name="窗口", region=Region.objects.national(), phone="call me")


def test_full_clean_explains_a_hotline_without_a_phone():
    channel = Channel(slug="x", kind="hotline", name="热线", region=Region.objects.national())
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            channel.full_clean()
        assert "needs its phone number" in str(error.value)


def test_a_channel_in_use_cannot_be_deleted():
    from django.db.models import ProtectedError

    channel = make_channel()
    make_procedure(channel=channel)
    with pytest.raises(ProtectedError):
        channel.delete()


def test_deleting_a_procedure_deletes_its_steps():
    procedure = make_procedure(steps=3)
    procedure.delete()
    assert not Step.objects.filter(procedure_id=procedure.pk).exists()
