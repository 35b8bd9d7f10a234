"""Card types, the initial-password rules that apply to them, and the policies new passwords must meet."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from curation.choices import Standing
from curation.models import ContentModel, ContentQuerySet, SlugManager, content_constraints
from kb.constraints import one_of
from sources.models import Citation, citation_constraints

from .choices import (
    AllowedCharacters,
    Enrolment,
    Insurance,
    Medium,
    Password,
    RuleKind,
    Unlock,
)

fixed_value_validator = RegexValidator(
    r"^[0-9]{4,12}$",
    _("A fixed initial password is written as 4 to 12 digits, for example 123456."),
)


class CardType(ContentModel):
    """A generation or form of card: 第二代社保卡, 城乡居民医保卡, 医保电子凭证, ..."""

    # Unique among originals only: a pending edit carries its original's name.
    name = models.CharField(_("name"), max_length=60)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    medium = models.CharField(_("medium"), max_length=12, choices=Medium.choices)
    has_financial_account = models.BooleanField(
        _("carries a financial account"),
        help_text=_("Whether the card also works as a bank card with its own PIN."),
    )
    description = models.TextField(_("description"), blank=True)
    sources = models.ManyToManyField(
        "sources.Source", through="passwords.CardTypeCitation", related_name="card_types", verbose_name=_("sources")
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = _("card type")
        verbose_name_plural = _("card types")
        constraints = [
            *content_constraints("cardtype"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(draft_of__isnull=True),
                name="cardtype_name_unique",
                violation_error_message=_("Another card type already has this name."),
            ),
            one_of("medium", Medium, name="cardtype_medium_valid", message=_("Unknown medium.")),
        ]

    def __str__(self) -> str:
        return self.name


class RegionScoped(ContentModel):
    """Content that holds for one region (or nationwide, on the root) and one card type (or all of them)."""

    region = models.ForeignKey(
        "regions.Region",
        # Deleting a region must not silently take its published rules with it.
        on_delete=models.PROTECT,
        verbose_name=_("region"),
        help_text=_("The region it was stated for; the national root (000000) for nationwide claims."),
    )
    card_type = models.ForeignKey(
        CardType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("card type"),
        help_text=_("Leave empty when it holds for every card type."),
    )
    password = models.CharField(
        _("which password"), max_length=24, choices=Password.choices, help_text=_("Which of the card's passwords.")
    )
    standing = models.CharField(_("standing"), max_length=20, choices=Standing.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        abstract = True


class RuleQuerySet(ContentQuerySet):
    def valid_on(self, day: datetime.date) -> "RuleQuerySet":
        """Rules that apply on `day`: both ends of the period are inclusive, an empty end is open.

        The lookup applies the same test to the rows it caches (`lookup.precedence.valid_on`), without SQL."""
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=day),
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=day),
        )

    def expired_by(self, day: datetime.date) -> "RuleQuerySet":
        """Rules whose last day is before `day`."""
        return self.filter(valid_until__lt=day)


class DefaultPasswordRule(RegionScoped):
    """What the initial password is, for whom, and during which period."""

    kind = models.CharField(_("rule kind"), max_length=32, choices=RuleKind.choices)
    value = models.CharField(
        _("value"),
        max_length=12,
        blank=True,
        validators=[fixed_value_validator],
        help_text=_("Only for a fixed rule: the digits themselves."),
    )
    insurance = models.CharField(
        _("applies to insurance"),
        max_length=12,
        choices=Insurance.choices,
        default=Insurance.ANY,
    )
    enrolment = models.CharField(
        _("applies to enrolment"),
        max_length=12,
        choices=Enrolment.choices,
        default=Enrolment.ANY,
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True, help_text=_("Empty: from the start."))
    valid_until = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("The last day it applied, inclusive. Empty: still applies."),
    )
    must_change_before_use = models.BooleanField(_("must be changed before first use"), default=False)
    objects = SlugManager.from_queryset(RuleQuerySet)()
    sources = models.ManyToManyField(
        "sources.Source", through="passwords.RuleCitation", related_name="password_rules", verbose_name=_("sources")
    )

    class Meta:
        ordering = ["region__code", "card_type__slug", "password", "valid_from"]
        verbose_name = _("default password rule")
        verbose_name_plural = _("default password rules")
        constraints = [
            *content_constraints("rule"),
            models.CheckConstraint(
                condition=(models.Q(kind=RuleKind.FIXED) & models.Q(value__regex=r"^[0-9]{4,12}$"))
                | (~models.Q(kind=RuleKind.FIXED) & models.Q(value="")),
                name="rule_value_only_for_fixed",
                violation_error_message=_(
                    "A fixed rule needs its value (4 to 12 digits); any other kind of rule leaves the value empty."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="rule_valid_period_ordered",
                violation_error_message=_("“Valid until” cannot be earlier than “valid from”."),
            ),
            one_of("kind", RuleKind, name="rule_kind_valid", message=_("Unknown kind of rule.")),
            one_of("password", Password, name="rule_password_valid", message=_("Unknown password.")),
            one_of("standing", Standing, name="rule_standing_valid", message=_("Unknown standing.")),
        ]

    def __str__(self) -> str:
        card = self.card_type.name if self.card_type_id else _("every card")
        shown = self.value if self.kind == RuleKind.FIXED else self.get_kind_display()
        return f"{self.region.name} · {card} · {self.get_password_display()}: {shown}"

    def slug_words(self) -> list[str]:
        return [self.region.slug_name if self.region_id else "", self.kind, self.value]  # wuhan-fixed-1234

    def clean(self) -> None:
        super().clean()
        # Field-level messages are friendlier in the admin than the constraint's form-wide one.
        if self.kind == RuleKind.FIXED and not self.value:
            raise ValidationError({"value": _("A fixed rule needs its value, for example 123456.")})
        if self.kind != RuleKind.FIXED and self.value:
            raise ValidationError({"value": _("Only a fixed rule has a value; clear it or change the kind to fixed.")})


class PasswordPolicy(RegionScoped):
    """What a new password must look like and what happens after wrong tries."""

    min_length = models.PositiveSmallIntegerField(_("minimum length"), validators=[MinValueValidator(1)])
    max_length = models.PositiveSmallIntegerField(_("maximum length"), validators=[MaxValueValidator(64)])
    allowed_characters = models.CharField(_("allowed characters"), max_length=24, choices=AllowedCharacters.choices)
    new_may_equal_old = models.BooleanField(_("new may equal the old one"), null=True, blank=True)
    change_limit = models.PositiveSmallIntegerField(
        _("changes allowed"),
        null=True,
        blank=True,
        help_text=_("Empty: no limit stated or no limit at all (see the note)."),
    )
    takes_effect_immediately = models.BooleanField(_("takes effect at once"), null=True, blank=True)
    lockout_after_attempts = models.PositiveSmallIntegerField(
        _("locks after wrong tries"),
        null=True,
        blank=True,
        help_text=_("Empty when the number is not known."),
    )
    unlock = models.CharField(
        _("how it unlocks"),
        max_length=20,
        choices=Unlock.choices,
        default=Unlock.UNKNOWN,
    )
    unlock_after_hours = models.PositiveSmallIntegerField(_("unlocks after (hours)"), null=True, blank=True)
    sources = models.ManyToManyField(
        "sources.Source",
        through="passwords.PolicyCitation",
        related_name="password_policies",
        verbose_name=_("sources"),
    )

    class Meta:
        ordering = ["region__code", "card_type__slug", "password"]
        verbose_name = _("password policy")
        verbose_name_plural = _("password policies")
        constraints = [
            *content_constraints("policy"),
            models.CheckConstraint(
                condition=models.Q(min_length__gte=1) & models.Q(max_length__gte=models.F("min_length")),
                name="policy_length_range_ordered",
                violation_error_message=_("The maximum length cannot be below the minimum, which is at least 1."),
            ),
            models.CheckConstraint(
                condition=~models.Q(unlock=Unlock.AUTOMATIC) | models.Q(unlock_after_hours__isnull=False),
                name="policy_automatic_unlock_has_delay",
                violation_error_message=_("An automatic unlock needs the number of hours it takes."),
            ),
        ]

    def __str__(self) -> str:
        card = self.card_type.name if self.card_type_id else _("every card")
        return f"{self.region.name} · {card} · {self.get_password_display()}: {self.min_length}–{self.max_length}"

    def slug_words(self) -> list[str]:
        return [self.region.slug_name if self.region_id else "", self.password, self.allowed_characters]


class CardTypeCitation(Citation):
    card_type = models.ForeignKey(CardType, on_delete=models.CASCADE, related_name="citations")

    class Meta(Citation.Meta):
        constraints = citation_constraints("card_type", "cardtype")


class RuleCitation(Citation):
    rule = models.ForeignKey(DefaultPasswordRule, on_delete=models.CASCADE, related_name="citations")

    class Meta(Citation.Meta):
        constraints = citation_constraints("rule", "rule")


class PolicyCitation(Citation):
    policy = models.ForeignKey(PasswordPolicy, on_delete=models.CASCADE, related_name="citations")

    class Meta(Citation.Meta):
        constraints = citation_constraints("policy", "policy")
