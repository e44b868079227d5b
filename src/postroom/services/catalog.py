"""Use cases for the catalog: the default services and options, lookups in the caller's
environment, and the one table that maps catalog options onto a piece's native options."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from postroom.domain.catalog import Environment, Option, OptionType, Service
from postroom.domain.clock import Clock
from postroom.domain.errors import ErrorCode, InvalidInput, NotFound
from postroom.domain.geometry import LAYOUTS, EnvelopeLayout
from postroom.domain.model import Account, PieceOptions, Plex, Postage, new_id
from postroom.services.email import EMAIL_CHANNEL
from postroom.services.ports import UnitOfWork

OPTION_TYPES: dict[str, str] = {
    "print_mode": "Print mode",
    "color": "Colour",
    "envelope": "Envelope",
    "postage": "Postage class",
    "paper": "Paper",
    "production_time": "Production time",
}

# (option type, option code) -> (native option name, native value): the one place where the
# catalog's codes meet the native API's names (plex, color, postage, envelope, paper).
OPTION_MAP: dict[tuple[str, str], tuple[str, Any]] = {
    ("print_mode", "1SIDE"): ("plex", Plex.SIMPLEX.value),
    ("print_mode", "2SIDE"): ("plex", Plex.DUPLEX.value),
    ("color", "BW"): ("color", False),
    ("color", "COLOR"): ("color", True),
    ("envelope", "C4"): ("envelope", "C4"),
    ("envelope", "C5"): ("envelope", "C5"),
    ("envelope", "DL"): ("envelope", "DL"),
    # A C4 pocket envelope (flat A4, window): a C4 as production sees it; named apart
    # because providers offer it or not (Nirva's Belgian provider does not).
    ("envelope", "C4P"): ("envelope", "C4"),
    ("envelope", "US10"): ("envelope", "US10"),
    ("envelope", "US9X12"): ("envelope", "US9X12"),
    ("postage", "PRIORITY"): ("postage", Postage.PRIORITY.value),
    ("postage", "ECONOMY"): ("postage", Postage.ECONOMY.value),
    ("postage", "REGISTERED"): ("postage", Postage.REGISTERED.value),
    ("paper", "80G"): ("paper", "80g"),
    ("paper", "90G"): ("paper", "90g"),
    ("paper", "100G"): ("paper", "100g"),
    ("production_time", "STANDARD"): ("express", False),
    ("production_time", "EXPRESS"): ("express", True),
}

OPTION_LABELS: dict[tuple[str, str], str] = {
    ("print_mode", "1SIDE"): "One side (simplex)",
    ("print_mode", "2SIDE"): "Both sides (duplex)",
    ("color", "BW"): "Black and white",
    ("color", "COLOR"): "Colour",
    ("envelope", "C4"): "C4 (324 x 229 mm, flat A4)",
    ("envelope", "C5"): "C5 (229 x 162 mm, A4 folded once)",
    ("envelope", "DL"): "DL (220 x 110 mm, A4 folded twice)",
    ("envelope", "C4P"): "C4 pocket (324 x 229 mm, flat A4, window)",
    ("envelope", "US10"): "#10 (9 1/2 x 4 1/8 in, US Letter tri-folded)",
    ("envelope", "US9X12"): "9 x 12 in flat (US Letter unfolded, USPS flat)",
    ("postage", "PRIORITY"): "Priority",
    ("postage", "ECONOMY"): "Economy",
    ("postage", "REGISTERED"): "Registered",
    ("paper", "80G"): "80 g/m²",
    ("paper", "90G"): "90 g/m²",
    ("paper", "100G"): "100 g/m²",
    ("production_time", "STANDARD"): "At the daily cut-off",
    ("production_time", "EXPRESS"): "At once",
}

NATIVE_NAMES = frozenset(name for name, _ in OPTION_MAP.values())


@dataclass(frozen=True)
class ServiceSpec:
    """A default service as created on first start, in both environments."""

    code: str
    name: str
    channel: str
    profile: str
    layout: str
    address_page: bool = False
    immediate: bool = False
    cut_off: str = "16:00"
    timezone: str = "Europe/Stockholm"
    default_options: tuple[tuple[str, str], ...] = (
        ("print_mode", "1SIDE"),
        ("color", "BW"),
        ("postage", "ECONOMY"),
        ("paper", "80G"),
        ("production_time", "STANDARD"),
    )
    annexes: int = 1  # annex boxes besides MAIN
    email: tuple[str, str] | None = None  # the email channel's default (subject, body)
    label: str = ""  # the channel's label shown to clients ("" = the channel's name)
    # The options the service's channel offers, by option type (types not listed: every
    # option of the type): a provider offers its own set (Nirva's Belgian one has no C4P).
    offered: tuple[tuple[str, tuple[str, ...]], ...] = ()


_NIRVA_FR: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("print_mode", ("1SIDE", "2SIDE")),
    ("color", ("BW", "COLOR")),
    ("envelope", ("C4", "C5", "C4P")),
    ("postage", ("ECONOMY", "PRIORITY", "REGISTERED")),
)
_NIRVA_BE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("print_mode", ("1SIDE", "2SIDE")),
    ("color", ("BW", "COLOR")),
    ("envelope", ("C4", "C5")),
    ("postage", ("ECONOMY", "PRIORITY")),
)

DEFAULT_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("letter_standard", "Letter, produced at the daily cut-off", "print_local",
                "postroom", "din5008_a"),
    ServiceSpec("letter_immediate", "Letter, produced at once", "print_local", "postroom",
                "din5008_a", immediate=True),
    ServiceSpec("letter_address_page", "Letter with an address page (window-less C4)",
                "print_local", "postroom", "windowless", address_page=True),
    ServiceSpec("us_letter", "US Letter in a #10 double-window envelope", "print_local",
                "click2mail", "us10_double_window", cut_off="15:00",
                timezone="America/New_York"),
    ServiceSpec("email", "Email with the letter attached as a PDF", "email_smtp", "postroom",
                "windowless", immediate=True,
                email=("A letter for you", "Please find your letter attached as a PDF.")),
    # Nirva / PostGreen services (seed 000): French letters, a Belgian provider with its own
    # (smaller) set of envelopes, and one with an address page.
    ServiceSpec("nirva_lettre_verte", "Lettre verte (France)", "print_local", "nirva",
                "din5008_b", cut_off="17:00", timezone="Europe/Paris", label="LETTRE_VERTE_FR",
                offered=_NIRVA_FR),
    ServiceSpec("nirva_courrier_be", "Courrier Belgique (bpost)", "print_local", "nirva",
                "din5008_b", cut_off="17:00", timezone="Europe/Brussels",
                label="COURRIER_BE", offered=_NIRVA_BE),
    ServiceSpec("nirva_page_adresse", "Lettre avec page adresse (France)", "print_local",
                "nirva", "windowless", address_page=True, cut_off="17:00",
                timezone="Europe/Paris", label="LETTRE_PAGE_ADRESSE_FR"),
)  # fmt: skip


def environment_of(account: Account) -> Environment:
    """Sandbox accounts use the sandbox catalog, live accounts the live one."""
    return Environment.SANDBOX if account.sandbox else Environment.LIVE


def _boxes(spec: ServiceSpec, configured_box: str) -> list[dict[str, Any]]:
    boxes: list[dict[str, Any]] = [{"id": "MAIN", "kind": "main", "name": "Letter"}]
    boxes += [
        {"id": f"ANNEX{i}" if i > 1 else "ANNEX", "kind": "annex", "name": f"Annex {i}"}
        for i in range(1, spec.annexes + 1)
    ]
    if configured_box:
        boxes.append(
            {"id": "CONFIGURED", "kind": "configured", "name": "Configured page",
             "blob_sha256": configured_box}
        )  # fmt: skip
    return boxes


def ensure_default_catalog(uow: UnitOfWork, clock: Clock, *, configured_box: str = "") -> int:
    """Create the default option types, options and services in both environments, once;
    returns how many rows were added. `configured_box` is the sha256 of a page every piece
    of the default services gets (empty: none)."""
    added = 0
    with uow:
        for environment in Environment:
            types = {t.code for t in uow.catalog.option_types(environment)}
            for code, name in OPTION_TYPES.items():
                if code not in types:
                    added += uow.catalog.add_if_missing(OptionType(environment, code, name))
            options = {(o.type_code, o.code) for o in uow.catalog.options(environment)}
            for key, label in OPTION_LABELS.items():
                if key not in options:
                    added += uow.catalog.add_if_missing(Option(environment, *key, label))
            shared = {s.code for s in uow.catalog.services(environment, "") if s.account_id is None}
            for spec in DEFAULT_SERVICES:
                if spec.code not in shared:
                    uow.catalog.add(_service(spec, environment, clock, configured_box))
                    added += 1
        uow.commit()
    return added


def _service(spec: ServiceSpec, environment: Environment, clock: Clock, box: str) -> Service:
    layout = LAYOUTS[spec.layout]
    output: dict[str, Any] = {"label": spec.label or spec.channel, "files": ["MAIN"]}
    if spec.offered:
        output["options"] = {type_code: list(codes) for type_code, codes in spec.offered}
    if spec.email is not None:
        output["email"] = {"subject": spec.email[0], "body": spec.email[1]}
    return Service(
        environment=environment,
        code=spec.code,
        name=spec.name,
        channel=spec.channel,
        profile=spec.profile,
        layout=spec.layout,
        created_at=clock.now(),
        address_page=spec.address_page,
        immediate=spec.immediate,
        cut_off=spec.cut_off,
        timezone=spec.timezone,
        boxes=_boxes(spec, box),
        default_options={**dict(spec.default_options), "envelope": layout.envelope.value},
        output=output,
    )


def configured_file_id(box: Mapping[str, Any]) -> str:
    """The id a sender names a configured box's file by (its own id, else its blob's)."""
    return str(box.get("file_id") or box.get("blob_sha256") or "")


def add_account_service(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    like: str,
    code: str,
    name: str,
    configured: Sequence[tuple[str, str, int]] = (),
    backgrounds: Sequence[tuple[str, str]] = (),
    main_split: Mapping[str, Any] | None = None,
) -> Service:
    """A service of the account's own, copied from `like` (a service of its environment),
    with configured files every piece gets (a background page, terms): (box id, blob
    sha256, page count) each, named by senders with the box's `file_id`; `backgrounds`
    ((box id, blob sha256) each) are configured pages drawn under each of the letter's own
    pages instead. `main_split` (a
    SplitRule's dict) is how its MAIN box cuts files into pieces (default: where the
    window's address changes)."""
    with uow:
        account = _account(uow, account_id)
        base = find_service(uow, account, like)
        if uow.catalog.service_by_code(base.environment, code, account.id) is not None:
            raise InvalidInput(f"the account already has a service {code!r}")
        boxes = [dict(b) for b in base.boxes if b.get("kind") != "configured"]
        if main_split is not None:
            for box in boxes:
                if box.get("kind") == "main":
                    box["split"] = dict(main_split)
        for box_id, sha256, pages in configured:
            boxes.append(
                {"id": box_id, "kind": "configured", "name": "Configured file",
                 "blob_sha256": sha256, "page_count": pages, "file_id": new_id()}
            )  # fmt: skip
        for box_id, sha256 in backgrounds:
            boxes.append(
                {"id": box_id, "kind": "configured", "name": "Background page",
                 "blob_sha256": sha256, "page_count": 1, "file_id": new_id(),
                 "placement": "background"}
            )  # fmt: skip
        service = replace(
            base,
            id=new_id(),
            code=code,
            name=name,
            created_at=clock.now(),
            boxes=boxes,
            account_id=account.id,
            default_options=dict(base.default_options),
            output=dict(base.output),
        )
        uow.catalog.add(service)
        uow.commit()
        return service


def list_services(*, uow: UnitOfWork, account_id: str) -> Sequence[Service]:
    """The services the account can use, in its environment."""
    with uow:
        account = _account(uow, account_id)
        return uow.catalog.services(environment_of(account), account.id)


def postal_services(*, uow: UnitOfWork, account_id: str) -> Sequence[Service]:
    """The services the account can send a letter by post with: all it can use but those
    of the email channel (a letter by email needs its message, which only the API takes)."""
    return [s for s in list_services(uow=uow, account_id=account_id) if s.channel != EMAIL_CHANNEL]


def list_option_types(*, uow: UnitOfWork, account_id: str) -> Sequence[OptionType]:
    """The option types of the account's environment."""
    with uow:
        return uow.catalog.option_types(environment_of(_account(uow, account_id)))


def list_options(*, uow: UnitOfWork, account_id: str) -> Sequence[Option]:
    """The options of the account's environment."""
    with uow:
        return uow.catalog.options(environment_of(_account(uow, account_id)))


def _account(uow: UnitOfWork, account_id: str) -> Account:
    account = uow.accounts.get(account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    return account


def find_service(uow: UnitOfWork, account: Account, ref: str) -> Service:
    """A service of the account's environment by id or code (inside an open unit of work):
    the service with that id if the account may use it, else the account's own service with
    that code, else the environment's shared one."""
    environment = environment_of(account)
    # One query for both readings of `ref` (an id, or a code): this runs for every letter.
    found = uow.catalog.services_named(environment, ref, account.id)
    service = next((s for s in found if s.id == ref and _usable(s, environment, account)), None)
    if service is None:
        by_code = [s for s in found if s.code == ref and _usable(s, environment, account)]
        by_code.sort(key=lambda s: (s.account_id is None, s.created_at, s.id))
        service = by_code[0] if by_code else None
    if service is None:
        raise InvalidInput(
            f"no service {ref!r} in the {environment.value} catalog; see GET /v1/services",
            code=ErrorCode.UNKNOWN_SERVICE,
            detail={"service": ref, "environment": environment.value},
        )
    return service


def _usable(service: Service, environment: Environment, account: Account) -> bool:
    """Whether the account may use the service: of its environment, shared or its own."""
    return service.environment == environment and service.account_id in (None, account.id)


def get_service(*, uow: UnitOfWork, account_id: str, ref: str) -> Service:
    """A service by id or code for the caller, or InvalidInput unknown_service."""
    with uow:
        return find_service(uow, _account(uow, account_id), ref)


@dataclass(frozen=True)
class ChosenOptions:
    """A piece's native options, whether it is produced at once, and its envelope layout."""

    options: PieceOptions
    express: bool
    layout: EnvelopeLayout


def resolve_options(uow: UnitOfWork, service: Service, chosen: Mapping[str, Any]) -> ChosenOptions:
    """The service's defaults overridden by `chosen`, whose keys are native names (plex,
    color, postage, envelope, paper, express) or option type codes, and whose values are
    native values, option codes or option ids of the service's environment."""
    by_id = {o.id: (o.type_code, o.code) for o in uow.catalog.options(service.environment)}
    native: dict[str, Any] = {}
    for type_code, code in service.default_options.items():
        native.setdefault(*OPTION_MAP.get((type_code, code), (type_code, None)))
    for key, value in chosen.items():
        _check_offered(service, key, value, by_id)
        name, resolved = _one_option(key, value, by_id)
        native[name] = resolved
    native = {k: v for k, v in native.items() if v is not None}
    try:
        options = PieceOptions(
            plex=Plex(native.get("plex", Plex.SIMPLEX.value)),
            color=bool(native.get("color", False)),
            postage=Postage(native.get("postage", Postage.ECONOMY.value)),
            paper=str(native.get("paper", "80g")),
        )
    except ValueError as exc:
        raise InvalidInput(str(exc), code=ErrorCode.UNKNOWN_OPTION) from exc
    layout = layout_for_envelope(LAYOUTS[service.layout], str(native.get("envelope", "")))
    options = replace(options, envelope=layout.envelope.value)
    return ChosenOptions(options, bool(native.get("express", False)), layout)


def offered_options(service: Service) -> dict[str, list[str]]:
    """The option codes the service's channel offers, by option type (a type not listed
    offers every option of the catalog)."""
    offered = service.output.get("options") or {}
    return {str(k): [str(c) for c in v] for k, v in offered.items()}


def _check_offered(
    service: Service, key: str, value: Any, by_id: dict[str, tuple[str, str]]
) -> None:
    """OPTION_NOT_AVAILABLE for a catalog option the service's channel does not offer."""
    if isinstance(value, str) and value in by_id:
        type_code, code = by_id[value]
    elif isinstance(value, str) and (key, value.upper()) in OPTION_MAP:
        type_code, code = key, value.upper()
    else:
        return
    offered = offered_options(service).get(type_code)
    if offered is not None and code not in offered:
        raise InvalidInput(
            f"the {service.code} service's channel does not offer {type_code} {code}; "
            f"it offers {', '.join(offered)}",
            code=ErrorCode.OPTION_NOT_AVAILABLE,
            detail={"option_type": type_code, "option": code, "offered": offered},
        )


def _one_option(key: str, value: Any, by_id: dict[str, tuple[str, str]]) -> tuple[str, Any]:
    if isinstance(value, str) and value in by_id:
        type_code, code = by_id[value]
        if key not in (type_code, OPTION_MAP[(type_code, code)][0]):
            raise InvalidInput(
                f"option {value} is a {type_code} option, not {key}", code=ErrorCode.UNKNOWN_OPTION
            )
        return OPTION_MAP[(type_code, code)]
    if isinstance(value, str) and (key, value.upper()) in OPTION_MAP:
        return OPTION_MAP[(key, value.upper())]
    if key in OPTION_TYPES and key not in NATIVE_NAMES:
        code = str(value).upper()
        if (key, code) not in OPTION_MAP:
            known = sorted(c for t, c in OPTION_MAP if t == key)
            raise InvalidInput(
                f"{value!r} is not a {key} option; known: {', '.join(known)}",
                code=ErrorCode.UNKNOWN_OPTION,
                detail={"option_type": key, "value": value},
            )
        return OPTION_MAP[(key, code)]
    if key in NATIVE_NAMES:
        allowed = {v for n, v in OPTION_MAP.values() if n == key}
        if value not in allowed:
            raise InvalidInput(
                f"{value!r} is not a valid {key}",
                code=ErrorCode.UNKNOWN_OPTION,
                detail={key: value},
            )
        return key, value
    raise InvalidInput(
        f"unknown option {key!r}; use {', '.join(sorted(OPTION_TYPES))} or "
        f"{', '.join(sorted(NATIVE_NAMES))}",
        code=ErrorCode.UNKNOWN_OPTION,
    )


def layout_for_envelope(base: EnvelopeLayout, envelope: str) -> EnvelopeLayout:
    """The layout with the same address position as `base` in another envelope size."""
    if not envelope or envelope == base.envelope.value:
        return base
    for layout in LAYOUTS.values():
        if (
            layout.envelope.value == envelope
            and layout.window == base.window
            and layout.page_format == base.page_format
            and layout.address_zone == base.address_zone
        ):
            return layout
    raise InvalidInput(
        f"this service's address position does not fit a {envelope} envelope; "
        f"it uses {base.envelope.value}",
        code=ErrorCode.OPTION_NOT_AVAILABLE,
        detail={"envelope": envelope, "service_envelope": base.envelope.value},
    )
