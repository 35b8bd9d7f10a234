"""The write API for staff tools: the public resources, writable with a token, through the review workflow.

Anonymous clients read published content as before. Staff with a token (and the model's permissions) also read
drafts, content in review and pending edits, in the staff representation (curation/api/staff.py); they create drafts,
change what `workflow.can_edit` allows, and move content with POSTs to `.../<slug>/<action>/`, each a function of
`curation.workflow`. Every change of existing content names the version it was based on in If-Match (the ETag of
the staff GET): a stale one is a 412 naming what changed since, a missing one a 428.
"""

import functools
import re
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import OuterRef, ProtectedError, RestrictedError, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from curation import workflow
from curation.choices import Status
from curation.history import changes_since, history_entries
from curation.models import ContentModel, StaleEdit, linkable
from kb.api.problems import VersionChangeSerializer

from .staff import (
    ArchiveSerializer,
    EmptySerializer,
    HistoryEntrySerializer,
    PublishSerializer,
    ReturnSerializer,
    RevertSerializer,
    ScheduleSerializer,
    django_errors,
)
from .viewsets import PublishedContentViewSet

# The model permission each action needs (add, change, delete, view of the viewset's model); every workflow move
# (`workflow.MOVES`, one action each) changes the content.
ACTION_PERMISSIONS = {
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
    "history": "view",
    **{move.api_action: "change" for move in workflow.MOVES.values()},
}
# What makes content public or takes it back: the `curation.publish_content` permission too.
PUBLISHER_ACTIONS = {move.api_action for move in workflow.MOVES.values() if move.publisher_only}
# Writes to existing content: each must say, in If-Match, which version it is based on.
PRECONDITION_ACTIONS = {"update", "partial_update", "destroy", *(move.api_action for move in workflow.MOVES.values())}
ETAG = re.compile(r'^"v([0-9]{1,12})"$')


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail: str, code: str, **extra) -> None:
        super().__init__(detail, code)
        self.extra = extra


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale_version"

    def __init__(self, detail: str, **extra) -> None:
        super().__init__(detail)
        self.extra = extra


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"


def is_staff(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active and user.is_staff


def model_permission(model: type[ContentModel], codename: str) -> str:
    return f"{model._meta.app_label}.{codename}_{model._meta.model_name}"


def etag(obj: ContentModel) -> str:
    return f'"v{obj.version}"'


class ContentPermission(permissions.BasePermission):
    """Reads are open (the viewset decides what each caller sees); every other action needs a staff user with
    the model permission it maps to, and the publisher's permission for what makes content public."""

    def has_permission(self, request, view) -> bool:
        if view.action in ("list", "retrieve") or (view.action is None and request.method in permissions.SAFE_METHODS):
            return True
        user = request.user
        codename = ACTION_PERMISSIONS.get(view.action)
        if not is_staff(user) or codename is None:
            return False
        if not user.has_perm(model_permission(view.queryset.model, codename)):
            return False
        if view.action in PUBLISHER_ACTIONS and not workflow.can_publish(user):
            self.message = _("Only publishers may do this.")
            return False
        return True


# What the staff representation of every content row shows of its workflow: the staff querysets select these.
STAFF_RELATED = ("draft_of", "replaced_by", "verified_by")


# The only way the API authenticates is the Token header (REST_FRAMEWORK in kb/settings.py): without one, nobody reads
# more than the public API shows.
CREDENTIALS = "HTTP_AUTHORIZATION"


class StaffContentViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A published resource that staff also read in full and write, through the workflow."""

    lookup_field = PublishedContentViewSet.lookup_field
    lookup_value_regex = PublishedContentViewSet.lookup_value_regex
    permission_classes = [ContentPermission]
    # The public read viewset at the same addresses: it answers every read of those who may not read drafts.
    public: type[PublishedContentViewSet] | None = None
    # Every status, with what the staff serializer reads selected or prefetched (STAFF_RELATED and its own links),
    # and the staff representation, read and written (curation/api/staff.py).
    queryset = None
    serializer_class = None
    precondition_actions = PRECONDITION_ACTIONS
    staff_only_reads = ("history",)
    # Set by as_view(): the public view of the same route, for readers who present a token but may not read drafts.
    public_view = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.public is None or cls.queryset is None or cls.serializer_class is None:
            raise ImproperlyConfigured(f"{cls.__name__} must declare its public viewset, queryset and serializer.")
        if "filterset_class" not in cls.__dict__:
            cls.filterset_class = cls.public.filterset_class

    def get_queryset(self):
        # The slug of each published row's pending edit, in the same query as the rows: a list costs as many queries
        # for a page of 100 as for one.
        model = self.queryset.model
        pending = model._base_manager.filter(draft_of=OuterRef("pk")).values("slug")[:1]
        return super().get_queryset().annotate(pending_edit_slug=Subquery(pending))

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        """The route's view: reads without a token go straight to the public viewset; everything else to this one,
        which hands reads back to the public viewset when the caller may not read drafts."""
        reads = {method: name for method, name in actions.items() if name in ("list", "retrieve")}
        if not reads:
            return super().as_view(actions, **initkwargs)
        public_view = cls.public.as_view(reads, **initkwargs)
        staff_view = super().as_view(actions, public_view=public_view, **initkwargs)
        # The address takes the staff methods too, whoever answers the read.
        allow = ", ".join(
            method.upper() for method in cls.http_method_names if method in actions or method in ("head", "options")
        )

        def view(request, *args, **kwargs):
            if request.method in ("GET", "HEAD") and CREDENTIALS not in request.META:
                response = public_view(request, *args, **kwargs)
                response["Allow"] = allow
                return response
            return staff_view(request, *args, **kwargs)

        return functools.update_wrapper(view, staff_view)

    def initial(self, request, *args, **kwargs):
        # An unsupported method is a 405 for everyone, before anyone is asked to sign in.
        if not hasattr(self, request.method.lower()):
            raise exceptions.MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def staff_reader(self) -> bool:
        """Staff with the model's view permission read every status; everyone else reads the public API."""
        user = self.request.user
        return is_staff(user) and user.has_perm(model_permission(self.queryset.model, "view"))

    def get_serializer_class(self):
        if self.action == "history":
            return HistoryEntrySerializer
        return self.serializer_class

    def list(self, request, *args, **kwargs):
        if not self.staff_reader():
            return self.public_view(request._request, *args, **kwargs)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        if not self.staff_reader():
            return self.public_view(request._request, *args, **kwargs)
        return self.staff_response(self.get_object())

    def staff_response(self, obj: ContentModel, status_code: int = 200, **headers) -> Response:
        # Read again: links and steps were replaced behind the prefetched copies.
        obj = self.get_queryset().get(pk=obj.pk)
        data = self.serializer_class(obj, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers={"ETag": etag(obj), **headers})

    def detail_url(self, obj: ContentModel, name: str = "detail") -> str:
        path = reverse(f"api:{self.basename}-{name}", kwargs={self.lookup_field: obj.slug})
        return self.request.build_absolute_uri(path)

    # Preconditions and errors.

    def check_precondition(self, obj: ContentModel) -> None:
        header = self.request.headers.get("If-Match", "").strip()
        if not header or header == "*":
            raise PreconditionRequired(
                _("Say which version you changed: send If-Match with the ETag of your last GET of this content.")
            )
        versions = {int(match[1]) for tag in header.split(",") if (match := ETAG.match(tag.strip()))}
        if obj.version not in versions:
            raise self.stale(obj, max(versions) if versions else None)

    def stale(self, obj: ContentModel, based_on: int | None) -> PreconditionFailed:
        current = type(obj)._base_manager.get(pk=obj.pk)
        changes = changes_since(current, based_on)
        fields = sorted({name for change in changes for name in change["fields"]})
        people = sorted({change["changed_by"] for change in changes if change["changed_by"]})
        if based_on is None:
            detail = _("If-Match names no version of this content; it is at version %(current)d now.") % {
                "current": current.version
            }
        else:
            detail = _(
                "This content changed after version %(based_on)d (now %(current)d), by %(people)s: %(fields)s. "
                "Read it again and make your change on the current version."
            ) % {
                "based_on": based_on,
                "current": current.version,
                "people": ", ".join(people) or "-",
                "fields": ", ".join(fields) or "-",
            }
        return PreconditionFailed(
            detail,
            current_version=current.version,
            based_on_version=based_on,
            changes=VersionChangeSerializer(changes, many=True).data,
        )

    def check_editable(self, obj: ContentModel) -> None:
        if workflow.can_edit(obj, self.request.user):
            return
        if obj.status == Status.PUBLISHED:
            raise Conflict(
                _("Published content is not changed in place: POST to its start-edit address and change the pending "
                  "edit it returns, then submit and publish that."),
                "edit_published",
                start_edit=self.detail_url(obj, "start-edit"),
            )  # fmt: skip
        if obj.status == Status.ARCHIVED:
            raise Conflict(_("Archived content cannot be changed."), "archived")
        raise exceptions.PermissionDenied(
            _("Content in review is changed by publishers only; return it to draft to change it.")
        )

    @contextmanager
    def write_errors(self):
        """The model's and the workflow's refusals, as the API's errors."""
        try:
            yield
        except StaleEdit as error:
            raise self.stale(error.instance, error.expected_version) from error
        except workflow.NotAllowed as error:
            raise exceptions.PermissionDenied(error.messages[0]) from error
        except workflow.WorkflowError as error:
            if getattr(error, "code", None) == "invalid_transition":
                raise Conflict(error.messages[0], "invalid_transition") from error
            raise exceptions.ValidationError(django_errors(error)) from error
        except DjangoValidationError as error:
            raise exceptions.ValidationError(django_errors(error)) from error
        except (ProtectedError, RestrictedError) as error:
            raise Conflict(_("Other content still uses this; change or archive that first."), "in_use") from error
        except IntegrityError as error:
            raise Conflict(
                _("The change conflicts with content saved meanwhile; read it again."), "conflict"
            ) from error

    # Writes.

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with self.write_errors():
            obj = serializer.save()
        return self.staff_response(obj, status.HTTP_201_CREATED, Location=self.detail_url(obj))

    def update(self, request, *args, **kwargs):
        obj = self.get_object()
        data = request.data
        self.check_precondition(obj)
        self.check_editable(obj)
        serializer = self.get_serializer(obj, data=data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        with self.write_errors():
            serializer.save()
        return self.staff_response(obj)

    def destroy(self, request, *args, **kwargs):
        obj = self.get_object()
        self.check_precondition(obj)
        if obj.status != Status.DRAFT:
            raise Conflict(
                _("Only drafts are deleted; archive published content instead, or return it to draft first."),
                "not_draft",
            )
        obj._history_user = request.user
        obj._change_reason = "deleted through the API"
        with self.write_errors():
            obj.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def move(self, request, body_class, do):
        """Runs workflow function `do(obj, user, body)` on the addressed content, after the precondition."""
        obj = self.get_object()
        body = body_class(data=request.data)
        self.check_precondition(obj)
        body.is_valid(raise_exception=True)
        with self.write_errors():
            result = do(obj, request.user, body.validated_data)
        return self.staff_response(result)

    @extend_schema(request=EmptySerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, slug=None):
        """Submits a draft for review: it must be complete (sources, steps) and valid."""
        return self.move(request, EmptySerializer, lambda obj, user, body: workflow.submit(obj, user))

    @extend_schema(request=ReturnSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_to_draft(self, request, slug=None):
        """Sends content in review back to draft (and cancels its schedule)."""
        return self.move(
            request,
            ReturnSerializer,
            lambda obj, user, body: workflow.return_to_draft(obj, user, body.get("reason", "")),
        )

    @extend_schema(request=PublishSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        """Publishes a draft or content in review (publishers only). A pending edit is written onto its original,
        which keeps its address; the answer is the original. `note` becomes a public change note."""
        return self.move(
            request, PublishSerializer, lambda obj, user, body: workflow.publish(obj, user, body.get("note", ""))
        )

    @extend_schema(request=ScheduleSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, slug=None):
        """Schedules content in review to go live at `publish_at` (publishers only)."""
        return self.move(
            request, ScheduleSerializer, lambda obj, user, body: workflow.schedule(obj, user, body["publish_at"])
        )

    @extend_schema(request=ArchiveSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, slug=None):
        """Archives published content (publishers only); its address then answers 410 with `successor`."""

        def do(obj, user, body):
            successor = None
            if body.get("replaced_by"):
                successor = linkable(type(obj)).filter(slug=body["replaced_by"], status=Status.PUBLISHED).first()
                if successor is None or successor.pk == obj.pk:
                    raise exceptions.ValidationError(
                        {"replaced_by": [_("No other published content of this kind has this slug.")]}
                    )
            return workflow.archive(obj, user, successor)

        return self.move(request, ArchiveSerializer, do)

    @extend_schema(request=EmptySerializer)
    @action(detail=True, methods=["post"], url_path="start-edit", url_name="start-edit")
    def start_edit(self, request, slug=None):
        """The pending edit of published content: a draft copy to change, submit and publish (201 when it is made
        now, 200 when it existed). Its address is in Location."""
        obj = self.get_object()
        EmptySerializer(data=request.data).is_valid(raise_exception=True)
        self.check_precondition(obj)
        existed = type(obj)._base_manager.filter(draft_of=obj).exists()
        with self.write_errors():
            copy = workflow.start_edit(obj, request.user)
        return self.staff_response(
            copy, status.HTTP_200_OK if existed else status.HTTP_201_CREATED, Location=self.detail_url(copy)
        )

    @extend_schema(request=RevertSerializer)
    @action(detail=True, methods=["post"])
    def revert(self, request, slug=None):
        """Restores what the content said in an earlier version of its history: fields, sources, links and steps
        (publishers only). Its status stays as it is."""

        def do(obj, user, body):
            record = obj.history.filter(history_id=body["history_id"]).first()
            if record is None:
                raise exceptions.ValidationError({"history_id": [_("This is not a version of this content.")]})
            return workflow.revert(obj, user, record=record)

        return self.move(request, RevertSerializer, do)

    @extend_schema(request=EmptySerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, slug=None):
        """Records that the content was checked against its sources today, by you."""
        return self.move(request, EmptySerializer, lambda obj, user, body: workflow.mark_verified(obj, user))

    @extend_schema(responses=HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, slug=None):
        """Every recorded version, newest first: who saved it, when, and which fields it changed (staff only)."""
        obj = self.get_object()
        return Response(HistoryEntrySerializer(history_entries(obj), many=True).data)
