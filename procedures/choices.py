"""Enumerations of procedures and the channels they run through."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    APP = "app", _("Mobile app")
    MINI_PROGRAM = "mini_program", _("Mini-program (Alipay / WeChat)")
    WECHAT_OFFICIAL_ACCOUNT = "wechat_official_account", _("WeChat official account")
    WEBSITE = "website", _("Website")
    HOTLINE = "hotline", _("Telephone hotline")
    COUNTER = "counter", _("Service counter")
    BANK = "bank", _("Bank branch")
    KIOSK = "kiosk", _("Self-service kiosk")
    MEDICAL_INSTITUTION = "medical_institution", _("Designated hospital or pharmacy")


class ProcedureKind(models.TextChoices):
    CHANGE_PASSWORD = "change_password", _("Change the password")
    RESET_PASSWORD = "reset_password", _("Reset a forgotten password")
    ACTIVATE_MEDICAL_ACCOUNT = (
        "activate_medical_account",
        _("Activate the medical account"),
    )
    ACTIVATE_FINANCIAL_ACCOUNT = (
        "activate_financial_account",
        _("Activate the financial account"),
    )
    UNLOCK = "unlock", _("Unlock after wrong tries")
    REPORT_LOSS = "report_loss", _("Report a lost card")
    REPLACE_CARD = "replace_card", _("Replace a card")
    SET_VOUCHER_PASSWORD = (
        "set_voucher_password",
        _("Set the electronic voucher's password"),
    )
    HELP_FAMILY_MEMBER = "help_family_member", _("Help a family member")
