"""What an account's contract includes beyond plain letters: features an operator sets up
per customer (Ekopost: "This feature needs to be set up per customer")."""

from __future__ import annotations

from enum import StrEnum

from postroom.domain.errors import ErrorCode, Forbidden
from postroom.domain.model import Account


class Feature(StrEnum):
    """A feature of an account's contract (kept in `Account.features`)."""

    REPLY_MAIL = "reply_mail"  # campaigns with a return envelope (services/reply_mail.py)
    EDI = "edi"  # an EDI sender and invitations (services/edi.py)


# The refusal of a feature the contract does not include. Reply mail has a code of its own
# (Ekopost's 141 "Invalid contract"); any other feature is not_in_contract, with details.
_REFUSALS: dict[Feature, ErrorCode] = {Feature.REPLY_MAIL: ErrorCode.REPLY_MAIL_NOT_SET_UP}


def includes(account: Account, feature: Feature) -> bool:
    """True when the account's contract includes the feature."""
    return feature.value in account.features


def require(account: Account, feature: Feature) -> None:
    """Forbidden (reply_mail_not_set_up or not_in_contract) when the contract lacks it."""
    if not includes(account, feature):
        raise Forbidden(
            f"the account's contract does not include {feature.value}; an operator adds it "
            f"with `postroom accounts contract ACCOUNT --add {feature.value}`",
            code=_REFUSALS.get(feature, ErrorCode.NOT_IN_CONTRACT),
            detail={"feature": feature.value},
        )


def parse_features(values: list[str]) -> list[str]:
    """The features named, checked and sorted; ValueError for an unknown one."""
    known = {f.value for f in Feature}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown features: {', '.join(unknown)} (known: {', '.join(known)})")
    return sorted(set(values))
