"""Administrative divisions of China (GB/T 2260), under one national root."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kb.constraints import one_of

from .choices import Level
from .names import folded, normalise, pinyin_of, short_name

NATIONAL_CODE = "000000"
"""The national root's code. GB/T 2260 gives the country none; six zeros can never clash with a real division."""

# Counties sit under a prefecture, or straight under a province for municipalities' districts and the
# county-level cities that a province governs directly (济源市, 仙桃市, ...).
ALLOWED_PARENT_LEVELS = {
    Level.PROVINCE: {Level.COUNTRY},
    Level.PREFECTURE: {Level.PROVINCE},
    Level.COUNTY: {Level.PREFECTURE, Level.PROVINCE},
}


def address_name(chain) -> str:
    """The name of the first region of `chain` (regions, or anything with a code and a name, nearest first up to the
    root) with its province and prefecture before it, as on an address: 湖北省武汉市江岸区; the root's own name."""
    if chain[0].code == NATIONAL_CODE:
        return chain[0].name
    return "".join(region.name for region in reversed(chain) if region.code != NATIONAL_CODE)


code_validator = RegexValidator(r"^[0-9]{6}$", _("A division code is exactly six digits, for example 420100."))


class RegionQuerySet(models.QuerySet):
    def search(self, term: str):
        """Chinese substring, full pinyin, pinyin initials or code prefix: '武汉', 'wuhan', 'wh', '4201'; full-width
        and traditional forms find what their plain forms find (names.normalise; the index of regions.search matches
        alike)."""
        term = normalise(term)
        if not term:
            return self
        query = models.Q(name__contains=term) | models.Q(short_name__contains=term)
        if term.isdigit():
            query |= models.Q(code__startswith=term)
        if term.isascii():
            query |= models.Q(pinyin__contains=folded(term)) | models.Q(initials__startswith=folded(term))
        return self.filter(query)


class RegionManager(models.Manager.from_queryset(RegionQuerySet)):
    def get_by_natural_key(self, code: str):
        return self.get(code=code)

    def national(self) -> "Region":
        return self.get(code=NATIONAL_CODE)


class Region(models.Model):
    """A province, prefecture or county, or the national root that holds nationwide defaults."""

    code = models.CharField(
        _("division code"),
        max_length=6,
        unique=True,
        validators=[code_validator],
        help_text=_("The six-digit GB/T 2260 code, for example 420100 for 武汉市; 000000 is the national root."),
    )
    name = models.CharField(_("name"), max_length=50, db_index=True)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, db_index=True)
    division_type = models.CharField(
        _("division type"),
        max_length=12,
        blank=True,
        help_text=_("The official type, such as 地级市, 自治州 or 县级市."),
    )
    parent = models.ForeignKey(
        "self",
        # A division with children or content cannot vanish by accident: its rules would lose their place.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    pinyin = models.CharField(_("pinyin"), max_length=120, blank=True, db_index=True)
    initials = models.CharField(_("pinyin initials"), max_length=30, blank=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = RegionManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{6}$"),
                name="region_code_six_digits",
                violation_error_message=_("A division code is exactly six digits, for example 420100."),
            ),
            models.CheckConstraint(
                condition=(models.Q(level=Level.COUNTRY) & models.Q(parent__isnull=True))
                | (~models.Q(level=Level.COUNTRY) & models.Q(parent__isnull=False)),
                name="region_only_country_is_root",
                violation_error_message=_("Only the country has no parent; every other region needs one."),
            ),
            models.UniqueConstraint(
                fields=["level"],
                condition=models.Q(level=Level.COUNTRY),
                name="region_single_national_root",
                violation_error_message=_("There is already a national root; every other region sits below it."),
            ),
            one_of("level", Level, name="region_level_valid", message=_("Unknown region level.")),
            models.CheckConstraint(
                condition=~models.Q(name=""),
                name="region_name_not_blank",
                violation_error_message=_("A region needs a name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args, **kwargs) -> None:
        # A region added or renamed by hand must stay findable by pinyin, like the imported ones.
        pinyin, initials = pinyin_of(self.name)
        if (self.pinyin, self.initials) != (pinyin, initials):
            self.pinyin, self.initials = pinyin, initials
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "pinyin", "initials"}
        if not self.short_name:
            self.short_name = short_name(self.name)
        if kwargs.get("update_fields") is not None:
            # auto_now writes only the fields named: the regions' fingerprint (regions/search.py) reads `updated_at`.
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    def clean(self) -> None:
        allowed = ALLOWED_PARENT_LEVELS.get(self.level, set())
        if self.parent is not None and self.parent.level not in allowed:
            raise ValidationError(
                {
                    "parent": _("A %(level)s cannot sit under a %(parent)s.")
                    % {
                        "level": self.get_level_display(),
                        "parent": self.parent.get_level_display(),
                    }
                }
            )
        if self.parent is not None and self.parent.pk is not None and self.parent.pk == self.pk:
            raise ValidationError({"parent": _("A region cannot be its own parent.")})

    @property
    def is_national(self) -> bool:
        return self.code == NATIONAL_CODE

    @property
    def slug_name(self) -> str:
        """How the region begins a proposed slug: the pinyin of its short name (zhangjiakou), `national` for the root,
        as in the curated content's slugs."""
        return "national" if self.is_national else pinyin_of(self.short_name or self.name)[0]

    @property
    def full_name(self) -> str:
        """The name with its province and prefecture before it, as on an address: 湖北省武汉市江岸区."""
        return address_name([self, *self.ancestors()])

    def ancestors(self) -> list["Region"]:
        """This region's parents, nearest first, up to the national root."""
        chain = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain
