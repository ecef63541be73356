"""Errors of the referrals area and their messages (joined to the platform catalogue on import)."""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import Conflict, NotFound

MESSAGES: dict[str, dict[str, str]] = {
    "referral_code_not_found": {
        "tr": "Davet kodu bulunamadı.",
        "en": "Referral code not found.",
    },
    "referral_self": {
        "tr": "Kendi davet kodunuzu kullanamazsınız.",
        "en": "You cannot use your own referral code.",
    },
    "referral_already_referred": {
        "tr": "Hesabınız zaten bir davet koduna bağlı.",
        "en": "Your account is already linked to a referral code.",
    },
    "referral_has_orders": {
        "tr": "Davet kodu yalnızca ilk siparişten önce kullanılabilir.",
        "en": "A referral code can only be used before the first order.",
    },
    "referral_claim_expired": {
        "tr": "Davet kodu yalnızca üyelikten sonraki {days} gün içinde kullanılabilir.",
        "en": "A referral code can only be used within {days} days of signing up.",
    },
    "referral_not_found": {
        "tr": "Davet bulunamadı.",
        "en": "Referral not found.",
    },
    "referral_not_rejected": {
        "tr": "Yalnızca reddedilmiş bir davet onaylanabilir.",
        "en": "Only a rejected referral can be approved.",
    },
}

i18n.register(messages=MESSAGES)


class ReferralCodeNotFound(NotFound):
    code = "referral_code_not_found"


class SelfReferral(Conflict):
    code = "referral_self"


class AlreadyReferred(Conflict):
    code = "referral_already_referred"


class RefereeHasOrders(Conflict):
    code = "referral_has_orders"


class ClaimExpired(Conflict):
    code = "referral_claim_expired"


class ReferralNotFound(NotFound):
    code = "referral_not_found"


class ReferralNotRejected(Conflict):
    code = "referral_not_rejected"
