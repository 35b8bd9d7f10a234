"""Import and export of default-password rules in the admin (CSV, XLSX): columns by public identifier."""

from import_export import fields

from curation.resources import CodeOrSlugWidget, ContentResource, DateWidget, LinksField, SlugListWidget
from regions.models import Region
from sources.models import Source

from .models import CardType, DefaultPasswordRule


class DefaultPasswordRuleResource(ContentResource):
    region = fields.Field(attribute="region", column_name="region", widget=CodeOrSlugWidget(Region, field="code"))
    card_type = fields.Field(
        attribute="card_type", column_name="card_type", widget=CodeOrSlugWidget(CardType, field="slug")
    )
    valid_from = fields.Field(attribute="valid_from", column_name="valid_from", widget=DateWidget())
    valid_until = fields.Field(attribute="valid_until", column_name="valid_until", widget=DateWidget())
    sources = LinksField(attribute="sources", column_name="sources", widget=SlugListWidget(Source))

    class Meta(ContentResource.Meta):
        model = DefaultPasswordRule
        fields = (
            "slug",
            "region",
            "card_type",
            "password",
            "kind",
            "value",
            "insurance",
            "enrolment",
            "medium",
            "valid_from",
            "valid_until",
            "must_change_before_use",
            "standing",
            "note",
            "sources",
            "status",
        )
        export_order = fields
        import_order = fields
