"""Card types, the initial-password rules that apply to them, and the policies new passwords must meet."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from curation.choices import Standing
from curation.models import (
    ContentModel,
    ContentQuerySet,
    RefusesNulCharacters,
    SlugManager,
    content_constraints,
    linkable,
)
from kb.constraints import one_of
from regions.models import Region
from sources.models import Citation, Source, citation_constraints

from .choices import (
    AllowedCharacters,
    ChangeLimit,
    Enrolment,
    Insurance,
    Medium,
    MediumScope,
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

    # One statement per region: a version diff names each by its region.
    keyed_rows = {"availability": "region"}

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

    def history_related_snapshot(self) -> dict[str, list]:
        return {
            **super().history_related_snapshot(),
            "availability": [
                row.snapshot()
                for row in CardTypeAvailability.objects.filter(card_type=self).select_related("region", "source")
            ],
        }

    def _restore_related(self, snapshot: dict[str, list]) -> None:
        super()._restore_related(snapshot)
        if "availability" in snapshot:
            self.availability.all().delete()
            for row in snapshot["availability"]:
                availability = CardTypeAvailability.from_snapshot(self, row)
                availability.full_clean()
                availability.save()


class CardTypeAvailability(RefusesNulCharacters, models.Model):
    """Where and since when a card type is issued, or from when it is no longer: Henan withdrew the old resident
    card on 2020-01-01. It holds for the region and every region below it; the nearest statement wins."""

    card_type = models.ForeignKey(
        CardType, on_delete=models.CASCADE, related_name="availability", verbose_name=_("card type")
    )
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("It holds for this region and every region below it."),
    )
    issued_from = models.DateField(_("issued from"), null=True, blank=True, help_text=_("Empty: not stated."))
    withdrawn_from = models.DateField(
        _("withdrawn from"),
        null=True,
        blank=True,
        help_text=_("The first day it is no longer issued or accepted. Empty: still issued."),
    )
    source = models.ForeignKey("sources.Source", on_delete=models.PROTECT, related_name="+", verbose_name=_("source"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["card_type", "region__code", "issued_from"]
        verbose_name = _("card availability")
        verbose_name_plural = _("card availability")
        constraints = [
            models.UniqueConstraint(
                fields=["card_type", "region"],
                name="availability_one_per_region",
                violation_error_message=_("This card type already has a statement for this region."),
            ),
            models.CheckConstraint(
                condition=models.Q(issued_from__isnull=False) | models.Q(withdrawn_from__isnull=False),
                name="availability_states_a_date",
                violation_error_message=_("Give the day it was first issued, the day it was withdrawn, or both."),
            ),
            models.CheckConstraint(
                condition=models.Q(issued_from__isnull=True)
                | models.Q(withdrawn_from__isnull=True)
                | models.Q(withdrawn_from__gt=models.F("issued_from")),
                name="availability_period_ordered",
                violation_error_message=_("A card type is withdrawn after it was first issued."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card_type} · {self.region}"

    def clean(self) -> None:
        super().clean()
        # The constraint says the same for the whole row; here the error names the day that is wrong (the staff
        # API's `availability[0].withdrawn_from`), and full_clean then leaves the constraint unchecked.
        if self.issued_from and self.withdrawn_from and self.withdrawn_from <= self.issued_from:
            raise ValidationError(
                {"withdrawn_from": ValidationError(_("A card type is withdrawn after it was first issued."))}
            )

    def snapshot(self) -> dict:
        return {
            "region": self.region.code,
            "issued_from": self.issued_from.isoformat() if self.issued_from else None,
            "withdrawn_from": self.withdrawn_from.isoformat() if self.withdrawn_from else None,
            "source": self.source.slug,
            "note": self.note,
        }

    @classmethod
    def from_snapshot(cls, card_type: CardType, row: dict) -> "CardTypeAvailability":
        try:
            region = Region.objects.get(code=row["region"])
            source = linkable(Source).get(slug=row["source"])
        except (Region.DoesNotExist, Source.DoesNotExist):
            raise ValidationError(
                _("These no longer exist: %(missing)s.") % {"missing": f"{row['region']}, {row['source']}"}
            ) from None
        return cls(
            card_type=card_type,
            region=region,
            source=source,
            issued_from=row["issued_from"] and datetime.date.fromisoformat(row["issued_from"]),
            withdrawn_from=row["withdrawn_from"] and datetime.date.fromisoformat(row["withdrawn_from"]),
            note=row.get("note", ""),
        )


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


class AudienceScoped(models.Model):
    """Who it is for: employees or residents, newly or previously insured (or everyone)."""

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


class DefaultPasswordRule(AudienceScoped, RegionScoped):
    """What the initial password is, for whom, and during which period."""

    kind = models.CharField(_("rule kind"), max_length=32, choices=RuleKind.choices)
    value = models.CharField(
        _("value"),
        max_length=12,
        blank=True,
        validators=[fixed_value_validator],
        help_text=_("Only for a fixed rule: the digits themselves."),
    )
    medium = models.CharField(
        _("applies to media"),
        max_length=12,
        choices=MediumScope.choices,
        default=MediumScope.ANY,
        help_text=_("Physical cards only: a rule for every card type then leaves electronic credentials out."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True, help_text=_("Empty: from the start."))
    valid_until = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("The last day it applied, inclusive. Empty: still applies."),
    )
    must_change_before_use = models.BooleanField(_("must be changed before first use"), default=False)
    sources = models.ManyToManyField(
        "sources.Source", through="passwords.RuleCitation", related_name="password_rules", verbose_name=_("sources")
    )
    objects = SlugManager.from_queryset(RuleQuerySet)()

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
            one_of("medium", MediumScope, name="rule_medium_valid", message=_("Unknown media scope.")),
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
        if self.medium == MediumScope.PHYSICAL and self.card_type_id and self.card_type.medium != Medium.PHYSICAL:
            raise ValidationError({"medium": _("This card type is not a physical card.")})


class PasswordPolicy(RegionScoped):
    """What a new password must look like and what happens after wrong tries."""

    # Empty when the source does not say: a policy may state only what happens after wrong tries.
    min_length = models.PositiveSmallIntegerField(
        _("minimum length"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    max_length = models.PositiveSmallIntegerField(
        _("maximum length"), null=True, blank=True, validators=[MaxValueValidator(64)]
    )
    allowed_characters = models.CharField(
        _("allowed characters"),
        max_length=24,
        choices=AllowedCharacters.choices,
        blank=True,
        help_text=_("Empty: not stated."),
    )
    new_may_equal_old = models.BooleanField(_("new may equal the old one"), null=True, blank=True)
    change_limit_state = models.CharField(
        _("limit on changes"),
        max_length=12,
        choices=ChangeLimit.choices,
        default=ChangeLimit.UNKNOWN,
    )
    change_limit = models.PositiveSmallIntegerField(
        _("changes allowed"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Only with a limited number of changes: how many."),
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
                condition=(models.Q(min_length__isnull=True) & models.Q(max_length__isnull=True))
                | (models.Q(min_length__gte=1) & models.Q(max_length__gte=models.F("min_length"))),
                name="policy_length_range_ordered",
                violation_error_message=_(
                    "Give both lengths or neither; the maximum cannot be below the minimum, which is at least 1."
                ),
            ),
            models.CheckConstraint(
                condition=(models.Q(change_limit_state=ChangeLimit.LIMITED) & models.Q(change_limit__gte=1))
                | (~models.Q(change_limit_state=ChangeLimit.LIMITED) & models.Q(change_limit__isnull=True)),
                name="policy_change_limit_only_when_limited",
                violation_error_message=_(
                    "A limited number of changes needs the number; “not stated” and “no limit” leave it empty."
                ),
            ),
            one_of(
                "change_limit_state", ChangeLimit, name="policy_change_limit_state_valid", message=_("Unknown limit.")
            ),
            models.CheckConstraint(
                condition=models.Q(min_length__isnull=False)
                | models.Q(lockout_after_attempts__isnull=False)
                | ~models.Q(unlock=Unlock.UNKNOWN)
                | ~models.Q(change_limit_state=ChangeLimit.UNKNOWN)
                | models.Q(new_may_equal_old__isnull=False)
                | models.Q(takes_effect_immediately__isnull=False),
                name="policy_states_something",
                violation_error_message=_(
                    "A policy states at least one thing: the length, a limit on changes, or what happens after "
                    "wrong tries."
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(unlock=Unlock.AUTOMATIC) | models.Q(unlock_after_hours__isnull=False),
                name="policy_automatic_unlock_has_delay",
                violation_error_message=_("An automatic unlock needs the number of hours it takes."),
            ),
        ]

    def __str__(self) -> str:
        card = self.card_type.name if self.card_type_id else _("every card")
        if self.min_length is None:
            return f"{self.region.name} · {card} · {self.get_password_display()}"
        return f"{self.region.name} · {card} · {self.get_password_display()}: {self.min_length}–{self.max_length}"

    def slug_words(self) -> list[str]:
        return [self.region.slug_name if self.region_id else "", self.password, self.allowed_characters]

    def clean(self) -> None:
        super().clean()
        if self.change_limit_state == ChangeLimit.LIMITED and self.change_limit is None:
            raise ValidationError({"change_limit": _("Give the number of changes allowed.")})
        if self.change_limit_state != ChangeLimit.LIMITED and self.change_limit is not None:
            raise ValidationError(
                {"change_limit": _("Only a limited number of changes has a number; choose “limited” or clear it.")}
            )
        if (self.min_length is None) != (self.max_length is None):
            raise ValidationError({"max_length": _("Give both the minimum and the maximum length, or neither.")})


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
