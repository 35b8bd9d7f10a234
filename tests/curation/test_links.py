"""Links by public identifier: every way content names other content (loader, imports, staff API, revert) resolves
a slug or a region's code the same way, and never to a pending edit."""

import pytest

from curation import workflow
from curation.models import linked_rows
from passwords.models import CardType, DefaultPasswordRule
from regions.models import Region
from tests.factories import make_card_type

pytestmark = pytest.mark.django_db


def test_a_link_names_any_status_but_never_a_pending_edit(admin_user):
    draft = make_card_type(slug="draft-card")
    original = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    copy = workflow.start_edit(original, admin_user)

    assert linked_rows(CardType, ["draft-card", "no-such-card"]) == {"draft-card": draft}
    assert linked_rows(DefaultPasswordRule, [original.slug, copy.slug]) == {original.slug: original}
    assert linked_rows(Region, ["420100"]) == {"420100": Region.objects.get(code="420100")}


def test_an_import_may_not_link_to_a_pending_edit(admin_user):
    from curation.resources import SlugListWidget

    copy = workflow.start_edit(DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234"), admin_user)
    widget = SlugListWidget(DefaultPasswordRule)
    with pytest.raises(ValueError, match=copy.slug):
        widget.clean(copy.slug)
    widget.prefetch([copy.slug])
    with pytest.raises(ValueError, match=copy.slug):
        widget.clean(copy.slug)
