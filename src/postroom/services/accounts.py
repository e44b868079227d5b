"""Use cases for accounts, users, API keys, login sessions and shops."""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from postroom.domain.audit import AuditEntry, AuditKind
from postroom.domain.clock import Clock
from postroom.domain.contract import parse_features
from postroom.domain.errors import (
    Conflict,
    ErrorCode,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from postroom.domain.model import Account, ApiKey, SessionToken, Shop, User
from postroom.domain.states import ApiKeyState
from postroom.domain.throttle import FORGET_AFTER, address_key, user_key, wait_after
from postroom.services.credentials import (
    PREFIX_SHOWN,
    hash_password,
    hash_secret,
    new_api_key,
    new_session_token,
    verify_user_password,
)
from postroom.services.ports import UnitOfWork

log = logging.getLogger(__name__)

# last_used_at is a hint for people tidying their keys, not an audit trail: writing it on
# every request would turn each read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)
SHOP_NAME_MAX = 200  # the column's width


@dataclass(frozen=True)
class Principal:
    """Who is calling: always an account, and the credential that proved it."""

    account_id: str
    user_id: str | None = None
    api_key_id: str | None = None
    session_id: str | None = None


def create_account(
    *,
    uow: UnitOfWork,
    clock: Clock,
    name: str,
    sandbox: bool = False,
    credit_minor: int = 0,
    username: str | None = None,
    password: str | None = None,
    operator: bool = False,
    return_address: str = "",
) -> Account:
    """Create an account, with its first user when a username and password are given;
    `operator` makes it the print room's (it sees every lot and reports feedback);
    `return_address` is the sender's return line printed above its letters' recipients."""
    if not name.strip():
        raise InvalidInput("an account needs a name")
    return_address = checked_return_address(return_address)
    if credit_minor < 0:
        raise InvalidInput("credit cannot be negative")
    if (username is None) != (password is None):
        raise InvalidInput("give both a username and a password, or neither")
    with uow:
        if uow.accounts.named(name.strip()):
            raise Conflict(
                f"an account named {name.strip()!r} exists already; choose another name",
                code=ErrorCode.ACCOUNT_NAME_TAKEN,
                detail={"name": name.strip()},
            )
        account = Account(
            name=name.strip(),
            sandbox=sandbox,
            credit_minor=credit_minor,
            created_at=clock.now(),
            operator=operator,
            return_address=return_address,
        )
        uow.accounts.add(account)
        if username is not None and password is not None:
            if uow.accounts.user_by_username(username) is not None:
                raise Conflict(f"the username {username!r} is taken", code=ErrorCode.USERNAME_TAKEN)
            uow.accounts.add(
                User(
                    account_id=account.id,
                    username=username,
                    password_hash=hash_password(password),
                    created_at=clock.now(),
                )
            )
        uow.commit()
    return account


def find_account(*, uow: UnitOfWork, ref: str) -> Account:
    """An account by id, or else by name (for operators at the command line)."""
    with uow:
        account = uow.accounts.get(ref)
        if account is not None:
            return account
        named = uow.accounts.named(ref)
        if not named:
            raise NotFound(f"no account with id or name {ref!r}")
        if len(named) > 1:
            ids = ", ".join(a.id for a in named)
            raise Conflict(
                f"{len(named)} accounts are named {ref!r} (made before names were unique); "
                f"give the id of the one you mean: {ids}",
                code=ErrorCode.ACCOUNT_NAME_TAKEN,
            )
        return named[0]


def checked_return_address(text: str) -> str:
    """`text` as a return line (surrounding spaces dropped; "" for none); InvalidInput
    return_address_invalid for a control character (a line break among them),
    return_address_too_long when it does not fit one line in small type."""
    text = text.strip()
    if not text:
        return ""
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InvalidInput(
            "the return address is one line of printable text: no line breaks, tabs or "
            "other control characters (separate its parts with commas)",
            code=ErrorCode.RETURN_ADDRESS_INVALID,
        )
    # Imported here: reportlab measures the line, and admin commands start without it.
    from postroom.documents.address_page import return_line_problem

    problem = return_line_problem(text)
    if problem is not None:
        raise InvalidInput(
            f"the return address does not fit one line in small type: {problem}; shorten it",
            code=ErrorCode.RETURN_ADDRESS_TOO_LONG,
            detail={"length": len(text)},
        )
    return text


def set_return_address(*, uow: UnitOfWork, account_id: str, return_address: str) -> Account:
    """Set the account's return address ("" removes it); letters accepted from now on
    print it (those accepted before keep the line they were accepted with)."""
    text = checked_return_address(return_address)
    with uow:
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}")
        account.return_address = text
        uow.commit()
        return account


def change_contract(
    *, uow: UnitOfWork, account_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> Account:
    """Add features to the account's contract and remove others (domain/contract.Feature:
    reply_mail, edi); InvalidInput unknown_feature for a name that is none."""
    try:
        added, removed = parse_features(list(add)), parse_features(list(remove))
    except ValueError as exc:
        raise InvalidInput(str(exc), code=ErrorCode.UNKNOWN_FEATURE) from None
    with uow:
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}")
        account.features = sorted((set(account.features) | set(added)) - set(removed))
        uow.commit()
        return account


def list_accounts(*, uow: UnitOfWork) -> Sequence[Account]:
    """Every account, by name (for operators at the command line)."""
    with uow:
        return uow.accounts.all()


def add_user(
    *, uow: UnitOfWork, clock: Clock, account_id: str, username: str, password: str
) -> User:
    """Add a user to an account; Conflict username_taken when the name is anyone's."""
    if not username.strip() or not password:
        raise InvalidInput("a user needs a username and a password")
    with uow:
        if uow.accounts.get(account_id) is None:
            raise NotFound(f"no account {account_id}")
        if uow.accounts.user_by_username(username) is not None:
            raise Conflict(f"the username {username!r} is taken", code=ErrorCode.USERNAME_TAKEN)
        user = User(
            account_id=account_id,
            username=username,
            password_hash=hash_password(password),
            created_at=clock.now(),
        )
        uow.accounts.add(user)
        uow.commit()
    return user


def user_shops(*, uow: UnitOfWork, account_id: str, username: str) -> frozenset[str]:
    """The shops one of the account's users is limited to (empty: every shop)."""
    with uow:
        user = uow.accounts.user_by_username(username)
        if user is None or user.account_id != account_id:
            raise NotFound(f"no user {username!r} in this account")
        return uow.accounts.user_shop_ids(user.id)


def list_shops(*, uow: UnitOfWork, account_id: str) -> Sequence[Shop]:
    """The account's shops, by name."""
    with uow:
        if uow.accounts.get(account_id) is None:
            raise NotFound(f"no account {account_id}")
        return uow.accounts.shops(account_id)


def create_api_key(
    *, uow: UnitOfWork, clock: Clock, account_id: str, name: str = "default"
) -> tuple[ApiKey, str]:
    """Create an API key; the clear key is returned here once and never stored."""
    secret = new_api_key()
    with uow:
        if uow.accounts.get(account_id) is None:
            raise NotFound(f"no account {account_id}")
        key = ApiKey(
            account_id=account_id,
            name=name,
            prefix=secret[:PREFIX_SHOWN],
            key_hash=hash_secret(secret),
            created_at=clock.now(),
        )
        uow.accounts.add(key)
        uow.commit()
    return key, secret


def list_api_keys(*, uow: UnitOfWork, account_id: str) -> Sequence[ApiKey]:
    """The account's keys (prefixes and states, never the keys)."""
    with uow:
        return uow.accounts.api_keys(account_id)


def _owned_key(uow: UnitOfWork, account_id: str, key_id: str) -> ApiKey:
    key = uow.accounts.api_key(account_id, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    return key


def revoke_api_key(*, uow: UnitOfWork, account_id: str, key_id: str) -> ApiKey:
    """Stop accepting a key; it can be reactivated."""
    with uow:
        key = _owned_key(uow, account_id, key_id)
        key.revoke()
        uow.commit()
    return key


def reactivate_api_key(*, uow: UnitOfWork, account_id: str, key_id: str) -> ApiKey:
    """Accept a revoked key again."""
    with uow:
        key = _owned_key(uow, account_id, key_id)
        key.reactivate()
        uow.commit()
    return key


def remove_api_key(*, uow: UnitOfWork, account_id: str, key_id: str) -> None:
    """Delete a key for good."""
    with uow:
        uow.accounts.remove_api_key(_owned_key(uow, account_id, key_id))
        uow.commit()


def create_shop(*, uow: UnitOfWork, clock: Clock, account_id: str, name: str) -> Shop:
    """Create a shop (a scope inside the account)."""
    if not name.strip():
        raise InvalidInput("a shop needs a name")
    if len(name.strip()) > SHOP_NAME_MAX:
        raise InvalidInput(f"a shop's name is at most {SHOP_NAME_MAX} characters")
    with uow:
        if uow.accounts.get(account_id) is None:
            raise NotFound(f"no account {account_id}")
        if any(s.name == name.strip() for s in uow.accounts.shops(account_id)):
            raise Conflict(
                f"the account already has a shop named {name!r}", code=ErrorCode.SHOP_EXISTS
            )
        shop = Shop(account_id=account_id, name=name.strip(), created_at=clock.now())
        uow.accounts.add(shop)
        uow.commit()
    return shop


def limit_user_to_shops(
    *,
    uow: UnitOfWork,
    account_id: str,
    username: str,
    shop_ids: Sequence[str],
    by_user_id: str | None = None,
) -> frozenset[str]:
    """Limit one of the account's users to some of its shops (none: every shop again);
    the shops it is limited to afterwards. `by_user_id` is the user asking, if a user
    asks: a user limited itself may not change any limit (it could lift its own)."""
    with uow:
        if by_user_id is not None and uow.accounts.user_shop_ids(by_user_id):
            raise Forbidden("a user limited to some shops cannot change shop limits")
        user = uow.accounts.user_by_username(username)
        if user is None or user.account_id != account_id:
            raise NotFound(f"no user {username!r} in this account")
        known = {shop.id for shop in uow.accounts.shops(account_id)}
        unknown = sorted(set(shop_ids) - known)
        if unknown:
            raise InvalidInput(
                f"the account has no shop {', '.join(unknown)}",
                code=ErrorCode.UNKNOWN_SHOP,
                detail={"shop_ids": unknown},
            )
        uow.accounts.set_user_shops(user.id, shop_ids)
        uow.commit()
        return uow.accounts.user_shop_ids(user.id)


def authenticate_api_key(*, uow: UnitOfWork, clock: Clock, key: str) -> Principal:
    """The principal for an active API key; notes when the key was last used (to the minute)."""
    digest = hash_secret(key)
    # Every request asks this: it reads without the write lock, and writes once a minute.
    with uow.reading():
        found = _active_key(uow, digest)
        principal = Principal(account_id=found.account_id, api_key_id=found.id)
        now = clock.now()
        fresh = found.last_used_at is not None and now - found.last_used_at <= LAST_USED_PRECISION
    if not fresh:
        with uow:
            _active_key(uow, digest).last_used_at = now
            uow.commit()
    return principal


def _active_key(uow: UnitOfWork, digest: str) -> ApiKey:
    """The active API key with this hash (inside an open unit of work), else Unauthenticated."""
    found = uow.accounts.api_key_by_hash(digest)
    if found is None or found.state is not ApiKeyState.ACTIVE:
        raise Unauthenticated("the API key is unknown or revoked")
    return found


def authenticate_password(
    *,
    uow: UnitOfWork,
    username: str,
    password: str,
    clock: Clock | None = None,
    client: str | None = None,
) -> Principal:
    """The principal for a username and password. With a clock, failures are throttled per
    username and per `client` address (domain/throttle.py): a refused key answers
    TooManyAttempts with the seconds to wait, before any password is checked."""
    keys = [user_key(username)] + ([address_key(client)] if client else [])
    if clock is not None:
        _refuse_while_throttled(uow, clock, keys)
    with uow:
        user = uow.accounts.user_by_username(username)
        known = user.password_hash if user is not None else None
        if not verify_user_password(known, password) or user is None:
            if clock is not None:
                if user is not None:
                    _audit_failed_login(uow, user, clock, client)
                _count_failure(uow, clock, keys)
                log.warning("failed login for %r from %s", username, client or "unknown")
            raise Unauthenticated("wrong username or password")
        if clock is not None:
            uow.login_throttle.clear(keys[0])  # the name's count; the address keeps its own
            uow.commit()
        return Principal(account_id=user.account_id, user_id=user.id)


def _refuse_while_throttled(uow: UnitOfWork, clock: Clock, keys: list[str]) -> None:
    with uow:
        until = uow.login_throttle.refused_until(keys)
    now = clock.now()
    if until is not None and until > now:
        wait = max(1, math.ceil((until - now).total_seconds()))
        raise TooManyAttempts(
            f"too many failed logins for this name or from this address; try again in {wait} s",
            retry_after=wait,
        )


def _audit_failed_login(uow: UnitOfWork, user: User, clock: Clock, client: str | None) -> None:
    """A record in the user's account's evidence log (committed with the failure count): a
    name that exists is the one worth telling its owner about; unknown names are logged."""
    content = {"username": user.username, "client": client, "at": clock.now().isoformat()}
    uow.feeds.audit(user.account_id, AuditEntry(AuditKind.LOGIN_FAILED, user.id, content))


def _count_failure(uow: UnitOfWork, clock: Clock, keys: list[str]) -> None:
    """One more failure for each key (in the caller's unit of work), committed."""
    now = clock.now()
    for key in keys:
        failures = uow.login_throttle.record_failure(key, now, now - FORGET_AFTER)
        wait = wait_after(failures)
        if wait:
            uow.login_throttle.refuse_until(key, now + wait)
    uow.commit()


def authenticate_session(*, uow: UnitOfWork, clock: Clock, token: str) -> Principal:
    """The principal for a live session token."""
    with uow:
        found = uow.accounts.session_by_hash(hash_secret(token))
        if found is None or not found.is_valid(clock.now()):
            raise Unauthenticated("the session token is unknown, expired or logged out")
        return Principal(account_id=found.account_id, user_id=found.user_id, session_id=found.id)


def login(
    *, uow: UnitOfWork, clock: Clock, username: str, password: str, ttl: timedelta
) -> tuple[SessionToken, str]:
    """Open a session for a user; the clear token is returned here once."""
    principal = authenticate_password(uow=uow, username=username, password=password)
    assert principal.user_id is not None
    token = new_session_token()
    now = clock.now()
    with uow:
        session = SessionToken(
            account_id=principal.account_id,
            user_id=principal.user_id,
            token_hash=hash_secret(token),
            created_at=now,
            expires_at=now + ttl,
        )
        uow.accounts.add(session)
        uow.commit()
    return session, token


def logout(*, uow: UnitOfWork, clock: Clock, token: str) -> None:
    """End the session this token belongs to."""
    with uow:
        found = uow.accounts.session_by_hash(hash_secret(token))
        if found is None or not found.is_valid(clock.now()):
            raise Unauthenticated("the session token is unknown, expired or logged out")
        found.ended_at = clock.now()
        uow.commit()
