"""What the curation core knows about the content apps: only what they register here, from their `ready()`.

- `track(model)`: a model whose rows are not content but change what content says (regions): saving or deleting
  one moves the content revision.
- `owned_by(model, field)`: rows that belong to a content object through `field` (a procedure's steps): a change
  moves the revision and the owner's `updated_at`.
- `embedded_in(model, [(label, field), ...])`: content whose JSON shows rows of `model` (a procedure shows its
  channel): changing such a row moves the `updated_at` of the content that shows it.
- `publishing_check(check)`: one more condition content must meet to be submitted, published or reverted while
  public (the sources app's rule for standing); `check(obj)` raises a ValidationError naming what is wrong.
- `after_public_commit(prepare)`: `prepare()` runs in the process that committed a change the public sees, once it
  has committed and the caches in front have been told (the lookup builds what its first answers will need); within
  a request, once at its end for all of its commits (`curation.revisions.prepared_once`).
- `assembled_before_django(path, assemble)`: `assemble(request)` gives the JSON body of the public answer to an
  anonymous GET of `path` (Django's request, which no middleware has seen, in the language Django chose for the same
  headers), built from what the worker holds, or None for a query it does not take; the answer memo then answers
  that GET before Django, with the headers Django gave another query there (curation/api/fastpath.py).
Content models themselves (subclasses of ContentModel) and their link tables are tracked without asking.
"""

from collections.abc import Callable

from django.db import models
from django.http import HttpRequest

OWNER_FIELDS: dict[type[models.Model], str] = {}
EMBEDDED_IN: dict[str, list[tuple[str, str]]] = {}
TRACKED: list[type[models.Model]] = []
PUBLISHING_CHECKS: list[Callable[[models.Model], None]] = []
AFTER_PUBLIC_COMMIT: list[Callable[[], None]] = []
ASSEMBLED_BEFORE_DJANGO: dict[str, Callable[[HttpRequest], bytes | None]] = {}
# Set by curation.signals when it connects (apps register before and after the core's ready() runs).
on_track: Callable[[type[models.Model]], None] | None = None


def track(model: type[models.Model]) -> None:
    TRACKED.append(model)
    if on_track is not None:
        on_track(model)


def owned_by(model: type[models.Model], field: str) -> None:
    OWNER_FIELDS[model] = field
    track(model)


def embedded_in(model: type[models.Model], shown_by: list[tuple[str, str]]) -> None:
    EMBEDDED_IN.setdefault(model._meta.label_lower, []).extend(shown_by)


def publishing_check(check: Callable[[models.Model], None]) -> None:
    if check not in PUBLISHING_CHECKS:
        PUBLISHING_CHECKS.append(check)


def after_public_commit(prepare: Callable[[], None]) -> None:
    if prepare not in AFTER_PUBLIC_COMMIT:
        AFTER_PUBLIC_COMMIT.append(prepare)


def assembled_before_django(path: str, assemble: Callable[[HttpRequest], bytes | None]) -> None:
    ASSEMBLED_BEFORE_DJANGO[path] = assemble
