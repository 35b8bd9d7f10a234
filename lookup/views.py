"""The one-request answer for a region: rules, policy, procedures, channels and FAQs, resolved up the hierarchy."""

import copy
import datetime
import re

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kb.api.filters import refuse_empty
from kb.api.renderers import dumps
from passwords.choices import Insurance
from regions.models import code_validator

from .answer import rendered_answer
from .cache import published_card_types
from .serializers import OPTIONAL_SECTIONS, LookupSerializer

SECTION = "|".join(OPTIONAL_SECTIONS)
# The region's code, as code_validator has it.
CODE = re.compile(r"\A[0-9]{6}\Z")
INCLUDE_PATTERN = f"^({SECTION})(,({SECTION}))*$"
# Every optional section once: "channels,faqs".
INCLUDE_MAX_LENGTH = len(",".join(OPTIONAL_SECTIONS))


class LookupQuerySerializer(serializers.Serializer):
    region = serializers.CharField(validators=[code_validator], help_text="Six-digit division code, e.g. 420102.")
    card_type = serializers.SlugField(
        required=False, help_text="Card type slug; without it, the rules for every card type are given."
    )
    on = serializers.DateField(
        required=False, help_text="The day the rules must be valid on (YYYY-MM-DD); default today, China time."
    )
    insurance = serializers.ChoiceField(
        choices=[Insurance.EMPLOYEE.value, Insurance.RESIDENT.value],
        required=False,
        help_text="Who is asking: employee (职工医保) or resident (居民医保). Without it, rules and procedures for "
        "everyone are given; with it, only those for that insurance and for everyone insured.",
    )

    include = serializers.CharField(
        required=False,
        max_length=INCLUDE_MAX_LENGTH,
        help_text="Sections beyond the default, separated by commas: " + ", ".join(OPTIONAL_SECTIONS) + ".",
    )
    detail = serializers.ChoiceField(
        choices=["compact", "full"],
        required=False,
        help_text="compact (the default): each row with what a phone shows at once; full: every field of every row.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # Shallow copies, each bound to this instance alone: DRF's deep copy builds every field anew (its __deepcopy__
        # calls __init__ again) on every lookup, a fifth of a millisecond; nothing a plain field holds changes as it
        # validates, so the copies may share their validators and choices. A field holding fields (a list's child, a
        # nested serializer) binds them as it is bound, and so must be copied deep.
        return {
            name: copy.deepcopy(field) if hasattr(field, "child") or hasattr(field, "fields") else copy.copy(field)
            for name, field in self._declared_fields.items()
        }

    def validate_include(self, value: str) -> frozenset[str]:
        sections = [part.strip() for part in value.split(",")]
        unknown = sorted({section for section in sections if section not in OPTIONAL_SECTIONS})
        if unknown:
            raise serializers.ValidationError(
                _("Unknown sections: %(unknown)s; the lookup can include %(known)s.")
                % {"unknown": ", ".join(unknown) or '""', "known": ", ".join(OPTIONAL_SECTIONS)}
            )
        return frozenset(sections)

    def validate_card_type(self, value: str) -> str:
        # Checked against a cached list of slugs, so that a warm lookup runs no SQL.
        if value not in published_card_types():
            raise serializers.ValidationError(_("No published card type has the slug %(slug)s.") % {"slug": value})
        return value


class LookupView(APIView):
    """What is the initial password here, and how do I change or reset it?"""

    query_parameters = frozenset(LookupQuerySerializer._declared_fields)

    @staticmethod
    def built_in_worker(request, match) -> bool:
        # Assembled from the fragments every worker caches (lookup/answer.py): kept by the worker alone
        # (curation/api/caching.py).
        return True

    @extend_schema(
        parameters=[
            LookupQuerySerializer,
            # Comma-separated in one string, as a repeated parameter is refused (kb/api/guards.py) and code
            # generators send an array as repeated parameters whatever `explode` says.
            OpenApiParameter(
                "include",
                {"type": "string", "pattern": INCLUDE_PATTERN, "maxLength": INCLUDE_MAX_LENGTH},
                description=LookupQuerySerializer().fields["include"].help_text,
            ),
        ],
        responses=LookupSerializer,
        summary="Everything a region's holders need, in one request",
        description=(
            "Walks from the region up through its ancestors to the national root (000000). For each card type and "
            "password, the rules stated on the nearest region win and broader ones are left out; a rule for every "
            "card type on a nearer region also outranks a card-specific rule on a broader one. Rules from the root "
            "are nationwide hearsay and are marked `nationwide: true`. Policies resolve the same way; procedures, "
            "channels and FAQs are the region's own and every ancestor's, nearest first. With `insurance`, rules and "
            "procedures for the other insurance are left out. A rule for physical cards only does not answer for an "
            "electronic card type. `card_availability` says where a card type is issued or was withdrawn (the nearest "
            "statement up the hierarchy); for a card type not issued there on the day, neither rules nor policies "
            "are given.\n\n"
            "The answer is compact by default: the rules, the policies and each procedure's title, kind, channel and "
            "steps, without notes, sources or history (a county's is some 26 kB, 4 kB with brotli). `detail=full` "
            "gives every field of every row; `include=channels,faqs` adds those sections. Fields the compact answer "
            "leaves out are optional in the schema."
        ),
    )
    def get(self, request: Request) -> Response:
        # The declared names, in order: a serializer instance would deep-copy every field once more per request.
        refuse_empty(request, LookupQuerySerializer._declared_fields)
        query = LookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        answer = rendered_answer(
            code=params["region"],
            card_type=params.get("card_type"),
            on=params.get("on") or timezone.localdate(),
            insurance=params.get("insurance"),
            include=params.get("include", frozenset()),
            full=params.get("detail") == "full",
        )
        if answer is None:
            raise NotFound(_("No region has the code %(code)s.") % {"code": params["region"]})
        return Response(answer)


# A query the answer memo may answer before Django (`assembled`): written plainly (nothing escaped, no spaces), so that
# splitting it reads it as Django's QueryDict does.
PLAIN_QUERY = re.compile(r"\A[A-Za-z0-9_=&,.-]{1,256}\Z")
ISO_DAY = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
INCLUDED = re.compile(INCLUDE_PATTERN)


def assembled(request: HttpRequest) -> bytes | None:
    """The JSON body LookupView gives for the request's query, for a query whose every parameter LookupQuerySerializer
    accepts as sent (each once, none empty, a day written YYYY-MM-DD, nothing else) and a region that exists; None for
    any other query, which Django answers, with its errors. Registered with curation.registry.assembled_before_django:
    a lookup the response cache has not seen is then answered before Django's request, middleware and view, with the
    headers Django gave another lookup (curation/api/fastpath.py)."""
    query = request.META.get("QUERY_STRING", "")
    if not PLAIN_QUERY.match(query):
        return None
    params: dict[str, str] = {}
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if not equals or not value or name in params or name not in LookupView.query_parameters:
            return None
        params[name] = value
    if not CODE.match(params.get("region", "")):
        return None
    on = params.get("on")
    if on is not None:
        if not ISO_DAY.match(on):
            return None
        try:
            day = datetime.date.fromisoformat(on)
        except ValueError:
            return None
    else:
        day = timezone.localdate()
    card_type, insurance = params.get("card_type"), params.get("insurance")
    if card_type is not None and card_type not in published_card_types():
        return None
    if insurance not in (None, Insurance.EMPLOYEE.value, Insurance.RESIDENT.value):
        return None
    if params.get("detail", "compact") not in ("compact", "full"):
        return None
    include = params.get("include")
    if include is not None and (len(include) > INCLUDE_MAX_LENGTH or not INCLUDED.match(include)):
        return None
    answer = rendered_answer(
        code=params["region"],
        card_type=card_type,
        on=day,
        insurance=insurance,
        include=frozenset(include.split(",")) if include else frozenset(),
        full=params.get("detail") == "full",
    )
    return None if answer is None else dumps(answer)
