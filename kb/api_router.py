"""The one API router: every resource under /api/v1/, and a root that lists them with the lookup and export."""

from django.urls import path
from rest_framework import routers
from rest_framework.reverse import reverse

from content.changes import ChangesView
from content.export import ExportView
from lookup.views import LookupView
from passwords.api.views import CardTypeStaffViewSet, DefaultPasswordRuleStaffViewSet, PasswordPolicyStaffViewSet
from procedures.api.views import ChannelStaffViewSet, FaqStaffViewSet, ProcedureStaffViewSet
from regions.api.views import RegionViewSet
from sources.api.views import SourceStaffViewSet


class APIRootView(routers.APIRootView):
    """The resources of Yibao KB's public API, the one-request lookup, the full export, its change feed and the Atom
    feeds of public change notes."""

    query_parameters = frozenset()

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        for name in ("lookup", "export", "changes"):
            response.data[name] = reverse(f"api:{name}", request=request, format=kwargs.get("format"))
        response.data["schema"] = reverse("schema", request=request)
        # The Atom feeds of public change notes: nationwide, and per region (its six-digit code for {code}).
        response.data["changes_atom"] = reverse("changes-atom", request=request)
        response.data["region_changes_atom"] = reverse(
            "region-changes-atom", kwargs={"code": "000000"}, request=request
        ).replace("000000", "{code}")
        return response


class Router(routers.DefaultRouter):
    APIRootView = APIRootView
    include_format_suffixes = False


router = Router(trailing_slash="/")
router.register("regions", RegionViewSet, basename="region")
router.register("card-types", CardTypeStaffViewSet, basename="card-type")
router.register("channels", ChannelStaffViewSet, basename="channel")
router.register("password-rules", DefaultPasswordRuleStaffViewSet, basename="password-rule")
router.register("password-policies", PasswordPolicyStaffViewSet, basename="password-policy")
router.register("procedures", ProcedureStaffViewSet, basename="procedure")
router.register("faqs", FaqStaffViewSet, basename="faq")
router.register("sources", SourceStaffViewSet, basename="source")

urlpatterns = [
    path("lookup/", LookupView.as_view(), name="lookup"),
    path("export/", ExportView.as_view(), name="export"),
    path("changes/", ChangesView.as_view(), name="changes"),
    *router.urls,
]
