"""Writes that span several rows of procedures and their steps."""

from django.db.models import F

from curation.events import changed, state_of
from curation.revisions import touch

from .models import Procedure, Step

PARKING_OFFSET = 10_000
"""Added to a step's position while it moves; far above any real step count."""


def park_steps(*, procedure: Procedure, step_ids: list[int]) -> None:
    """Moves the given steps out of the way so that new positions can be written one row at a time."""
    if step_ids:
        Step.objects.filter(procedure=procedure, pk__in=step_ids).update(position=F("position") + PARKING_OFFSET)
        # update() sends no signal: say that the procedure changed.
        changed(state_of(procedure))
        touch(procedure)


def renumber_steps(*, procedure: Procedure) -> None:
    """Closes gaps left by deleted steps so that positions run 1..n in their current order."""
    steps = list(procedure.steps.order_by("position").only("pk", "position"))
    misplaced = {step.pk: number for number, step in enumerate(steps, start=1) if step.position != number}
    park_steps(procedure=procedure, step_ids=list(misplaced))
    for pk, number in misplaced.items():
        Step.objects.filter(pk=pk).update(position=number)
    if misplaced:
        changed(state_of(procedure))
        touch(procedure)
