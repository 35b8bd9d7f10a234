"""The data migration that completes first versions written in pieces (curation/first_snapshots.py): the object
saved, then its links set, then its steps written, as load_content did before it recorded one whole version."""

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import translation

from curation import workflow
from curation.first_snapshots import complete_model
from procedures.models import Procedure, Step
from tests.factories import make_procedure

pytestmark = pytest.mark.django_db

# What procedures' migration tells the core about the rows a procedure owns.
OWNED = {"steps": import_module("procedures.migrations.0005_complete_first_snapshots").current_steps}


def written_in_pieces() -> Procedure:
    # The factory writes as the old loader did: the save is recorded, the link is recorded apart, steps are not.
    procedure = make_procedure(slug="seeded-in-pieces", steps=2, status="published")
    records = procedure.history.order_by("history_date", "history_id")
    assert [(r.history_type, r.history_change_reason) for r in records] == [("+", None), ("~", "links changed")]
    return procedure


def test_the_first_version_gets_the_links_and_steps_written_with_it(publisher):
    procedure = written_in_pieces()
    first = procedure.history.earliest("history_date")
    assert first.related_snapshot["steps"] == [] and first.related_snapshot["sources"] == []
    # Later, an edit changes the steps.
    copy = workflow.start_edit(procedure, publisher)
    Step.objects.filter(procedure=copy, position=2).update(instruction="新的第二步")
    workflow.publish(copy, publisher)
    # The language is whatever an earlier test on this worker left active: name it.
    with translation.override("en"), pytest.raises(workflow.WorkflowError, match="at least one"):
        workflow.revert(procedure, publisher, record=first)

    complete_model(apps, "procedures", "Procedure", OWNED)

    first.refresh_from_db()
    sources = sorted(procedure.sources.values_list("slug", flat=True))
    # The steps as the pending edit found them, not as the edit left them.
    assert first.related_snapshot == {
        "card_types": [],
        "sources": sources,
        "steps": [
            {"position": 1, "instruction": "第1步", "ui_path": ""},
            {"position": 2, "instruction": "第2步", "ui_path": ""},
        ],
    }
    workflow.revert(procedure, publisher, record=first)
    assert list(procedure.steps.values_list("instruction", flat=True)) == ["第1步", "第2步"]


def test_whole_first_versions_are_left_as_they_are(editor):
    procedure = written_in_pieces()
    complete_model(apps, "procedures", "Procedure", OWNED)
    copy = workflow.start_edit(procedure, editor)
    first = copy.history.get()
    Step.objects.filter(procedure=procedure).delete()

    complete_model(apps, "procedures", "Procedure", OWNED)

    first.refresh_from_db()
    assert len(first.related_snapshot["steps"]) == 2
