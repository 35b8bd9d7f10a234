"""Enumerations of cards, passwords and the rules that set them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Medium(models.TextChoices):
    PHYSICAL = "physical", _("Physical card")
    ELECTRONIC = "electronic", _("Electronic credential")


class MediumScope(models.TextChoices):
    """Which media a rule for every card type reaches: an electronic credential has no card password."""

    ANY = "any", _("Physical and electronic cards")
    PHYSICAL = "physical", _("Physical cards only")


class ChangeLimit(models.TextChoices):
    """What the sources say about how often a password may be changed."""

    UNKNOWN = "unknown", _("Not stated")
    UNLIMITED = "unlimited", _("No limit")
    LIMITED = "limited", _("Limited to a number of changes")


class Availability(models.TextChoices):
    """Whether a card type exists in a region on a day, as the lookup states it."""

    ISSUED = "issued", _("Issued")
    NOT_YET_ISSUED = "not_yet_issued", _("Not yet issued")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Password(models.TextChoices):
    """A card can hold several independent passwords; changing one never changes another."""

    MEDICAL_ACCOUNT = (
        "medical_account",
        _("Social security / medical insurance account password"),
    )
    FINANCIAL_ACCOUNT = "financial_account", _("Financial (bank) account PIN")
    VOUCHER_PAYMENT = "voucher_payment", _("Electronic voucher payment password")
    VOUCHER_ACCOUNT = "voucher_account", _("Electronic voucher account password")


class RuleKind(models.TextChoices):
    FIXED = "fixed", _("A fixed value")
    ID_LAST6 = "id_last6", _("Last six digits of the ID number")
    ID_LAST6_WITHOUT_CHECK_DIGIT = (
        "id_last6_without_check_digit",
        _("Six digits before the ID number's check digit"),
    )
    BIRTHDATE_YYMMDD = "birthdate_yymmdd", _("Birth date as YYMMDD")
    NONE = "none", _("No initial password: the holder sets one")
    PASSWORD_LETTER = "password_letter", _("Printed in a sealed password letter")


class Insurance(models.TextChoices):
    ANY = "any", _("Everyone insured")
    EMPLOYEE = "employee", _("Employees (职工医保)")
    RESIDENT = "resident", _("Urban and rural residents (居民医保)")


class Enrolment(models.TextChoices):
    ANY = "any", _("Newly and previously insured")
    NEW = "new", _("Newly insured")
    EXISTING = "existing", _("Previously insured")


class AllowedCharacters(models.TextChoices):
    DIGITS = "digits", _("Digits only")
    DIGITS_OR_LETTERS = "digits_or_letters", _("Digits or letters")
    DIGITS_LETTERS_SYMBOLS = "digits_letters_symbols", _("Digits, letters or symbols")


class Unlock(models.TextChoices):
    AUTOMATIC = "automatic", _("Unlocks by itself after a wait")
    BANK = "bank", _("At the issuing bank")
    INSURANCE_OFFICE = "insurance_office", _("At the insurance office")
    UNKNOWN = "unknown", _("Not stated")
