"""Atom feeds of the public change notes, nationwide and per region, for portals that want to hear about changes
(Django's syndication framework). A region's feed holds the notes of what its widget shows: content stated on the
region or one of its ancestors, up to the nationwide defaults."""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.contrib.syndication.views import Feed
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from content.changes import detail_path, sections
from curation.models import ChangeNote, ContentModel
from kb.api.guards import query_parameters
from kb.api.problems import json_problem_response
from kb.methods import read_only
from regions.models import Region
from regions.selectors import region_with_ancestors

LIMIT = 50


def noted_content(chain: list[Region] | None) -> Q:
    """The notes of published content (of `chain`'s regions only, when given)."""
    condition = Q(pk__in=[])
    for model in sections():
        if not issubclass(model, ContentModel):
            continue
        rows = model.objects.published()
        if chain is not None:
            names = {field.name for field in model._meta.get_fields()}
            if "region" in names:
                rows = rows.filter(region__in=chain)
            elif "regions" in names:
                rows = rows.filter(regions__in=chain)
            else:
                continue
        condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=rows.values("pk"))
    return condition


class ChangeNotesFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The items' links are absolute addresses of the API, on the host that was asked.
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, code: str | None = None) -> list[Region] | None:
        return region_with_ancestors(code=code) if code is not None else None

    def title(self, chain: list[Region] | None) -> str:
        if chain is None:
            return _("Medical insurance card passwords: changes nationwide")
        return _("Medical insurance card passwords in %(region)s: changes") % {"region": chain[0].name}

    def subtitle(self, chain: list[Region] | None) -> str:
        return _("Public notes about significant changes of the initial passwords and procedures, newest first.")

    def link(self, chain: list[Region] | None) -> str:
        return reverse("widget", kwargs={"code": chain[0].code}) if chain is not None else reverse("api:api-root")

    def feed_url(self, chain: list[Region] | None) -> str:
        if chain is None:
            return reverse("changes-atom")
        return reverse("region-changes-atom", kwargs={"code": chain[0].code})

    def items(self, chain: list[Region] | None) -> list[ChangeNote]:
        notes = list(ChangeNote.objects.filter(noted_content(chain)).order_by("-changed_on", "-id")[:LIMIT])
        by_type: dict[int, set[int]] = {}
        for note in notes:
            by_type.setdefault(note.content_type_id, set()).add(note.object_id)
        owners = {}
        for type_id, ids in by_type.items():
            model = ContentType.objects.get_for_id(type_id).model_class()
            owners |= {(type_id, row.pk): row for row in model._base_manager.filter(pk__in=ids)}
        for note in notes:
            note.owner = owners[(note.content_type_id, note.object_id)]
        return notes

    def item_title(self, note: ChangeNote) -> str:
        return f"{note.owner._meta.verbose_name}: {note.owner}"

    def item_description(self, note: ChangeNote) -> str:
        return note.note

    def item_link(self, note: ChangeNote) -> str:
        return self.request.build_absolute_uri(detail_path(type(note.owner), note.owner.slug))

    def item_guid(self, note: ChangeNote) -> str:
        return f"{self.item_link(note)}#change-{note.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, note: ChangeNote) -> datetime.datetime:
        # The day the change took effect, as the notes say it: midnight where the content applies.
        return timezone.make_aware(datetime.datetime.combine(note.changed_on, datetime.time()))

    def item_updateddate(self, note: ChangeNote) -> datetime.datetime:
        return note.created_at


FEED = ChangeNotesFeed()


@query_parameters()
@read_only()
def changes_atom(request: HttpRequest) -> HttpResponse:
    return FEED(request)


@query_parameters()
@read_only()
def region_changes_atom(request: HttpRequest, code: str) -> HttpResponse:
    if not Region.objects.filter(code=code).exists():
        return json_problem_response(request, 404, _("No region has the code %(code)s.") % {"code": code}, "not_found")
    return FEED(request, code=code)
