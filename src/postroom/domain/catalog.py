"""The catalog: services (configured products) and the option types and options they take.

Option ids differ between sandbox and live environments, as in the Nirva seed: every row
belongs to one environment and clients must look ids up in their own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from postroom.domain.model import new_id


class Environment(StrEnum):
    """Sandbox accounts see sandbox ids; live accounts see live ids."""

    SANDBOX = "sandbox"
    LIVE = "live"


class BoxKind(StrEnum):
    """An input slot of a service (Nirva's boxes)."""

    MAIN = "main"  # the letter itself
    ANNEX = "annex"  # extra documents the sender adds per piece
    CONFIGURED = "configured"  # a pre-configured file added to every piece (terms, background)


def is_background(box: Mapping[str, Any]) -> bool:
    """A configured box whose page is drawn under each of the letter's own pages (a
    letterhead), instead of pages added after them."""
    return box.get("kind") == BoxKind.CONFIGURED and box.get("placement") == "background"


def added_pages(box: Mapping[str, Any]) -> int:
    """The pages a configured box adds after each piece's: its file's page count (the
    catalog records it with the file), none for a background."""
    if box.get("kind") != BoxKind.CONFIGURED or is_background(box):
        return 0
    return int(box.get("page_count") or 1)


def configured_pages(boxes: Sequence[Mapping[str, Any]]) -> int:
    """The pages a service's configured files add to each of its pieces (backgrounds none):
    counted in each piece's page_count, and what composition adds."""
    return sum(added_pages(box) for box in boxes)


@dataclass(eq=False)
class Service:
    """A configured product: channel, boxes, address page, defaults, cut-off, constraints."""

    environment: Environment
    code: str  # stable, e.g. "letter_economy"; the id differs per environment
    name: str
    channel: str  # a registered channel name, e.g. "print_local"
    profile: str  # preflight profile
    layout: str  # envelope layout code ("" = the profile's default)
    created_at: datetime
    address_page: bool = False
    immediate: bool = False  # produce at once instead of waiting for the daily cut-off
    cut_off: str = "16:00"  # local time of the daily cut-off, HH:MM
    timezone: str = "Europe/Stockholm"
    boxes: list[dict[str, Any]] = field(default_factory=list)  # {"id", "kind", "blob_sha256"?}
    default_options: dict[str, str] = field(default_factory=dict)  # option type -> option
    output: dict[str, Any] = field(default_factory=dict)  # channel's output-file configuration
    account_id: str | None = None  # None: offered to every account of the environment
    min_quantity: int = 1  # fewest pieces one order (a mail merge) of it may hold
    max_quantity: int | None = None  # most; None: no limit
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class OptionType:
    """A kind of option (print_mode, color, envelope, postage, paper, production_time)."""

    environment: Environment
    code: str
    name: str
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class Option:
    """One value of an option type (1SIDE, 2SIDE, C5, PRIORITY...)."""

    environment: Environment
    type_code: str
    code: str
    label: str
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class Charge:
    """What one piece, or one text message, cost its account; at most one per piece and one
    per message, so nothing is charged twice."""

    account_id: str
    piece_id: str | None
    amount_minor: int
    created_at: datetime
    id: str = field(default_factory=new_id)
    sms_id: str | None = None
