"""Every object load_content seeds from fixtures/content.yaml can be taken back to its first version and forward
again through the workflow: its first historical record holds it whole, links and steps included."""

import pytest

from curation import workflow
from curation.models import content_field_names
from procedures.models import Procedure, Step
from sources.models import Source

pytestmark = pytest.mark.django_db

# A text field of each kind of content that an edit may change freely.
TEXT = {
    "cardtype": "description",
    "channel": "description",
    "defaultpasswordrule": "note",
    "passwordpolicy": "note",
    "procedure": "summary",
    "faq": "answer",
    "source": "note",
}


def state(obj) -> dict:
    obj = type(obj)._base_manager.get(pk=obj.pk)
    return {name: getattr(obj, name) for name in content_field_names(type(obj))} | obj.history_related_snapshot()


def edit_and_publish(obj, editor, publisher, other_source: Source) -> None:
    """A pending edit that changes a field, the sources and (for procedures) the steps, published."""
    copy = workflow.start_edit(obj, editor)
    field = TEXT[obj._meta.model_name]
    setattr(copy, field, getattr(copy, field) + "（复核后补充）")
    copy.save()
    if hasattr(copy, "sources"):
        copy.sources.add(other_source)
    if isinstance(copy, Procedure):
        steps = list(copy.steps.order_by("position"))
        steps[0].instruction += "（先确认网络畅通）"
        steps[0].save()
        if len(steps) > 1:
            steps[-1].delete()
        else:
            Step.objects.create(procedure=copy, position=2, instruction="办完后退出登录。")
    workflow.publish(copy, publisher)


def test_every_seeded_object_reverts_to_its_first_version_and_back(editor, publisher):
    sources = list(Source.objects.order_by("slug"))
    reverted = 0
    for model in workflow.content_models():
        for obj in model._base_manager.filter(draft_of__isnull=True).order_by("pk"):
            first = obj.history.order_by("history_date", "history_id").first()
            loaded = state(obj)
            # The first version is what the load wrote, whole.
            assert first.history_type == "+", obj.slug
            assert {name: getattr(first, name) for name in content_field_names(model)} | first.related_snapshot == (
                loaded
            ), obj.slug
            assert not isinstance(obj, Procedure) or first.related_snapshot["steps"], obj.slug

            linked = set(loaded.get("sources", []))
            edit_and_publish(obj, editor, publisher, next(s for s in sources if s.slug not in linked))
            edited = state(obj)
            assert edited != loaded, obj.slug
            edited_record = obj.history.order_by("history_date", "history_id").last()

            workflow.revert(obj, publisher, record=first)
            assert state(obj) == loaded, obj.slug

            workflow.revert(obj, publisher, record=edited_record)
            assert state(obj) == edited, obj.slug
            reverted += 1
    # Every kind of content of the fixture took part (5 sources, 55 procedures, ...).
    assert reverted == sum(
        model._base_manager.filter(draft_of__isnull=True).count() for model in workflow.content_models()
    )
    assert reverted > 150
