"""Production planning: which accepted pieces are due, which lot each goes into, and when.

Planning reads columns only, with nothing locked; each planned lot is then allocated in its
own short transaction that locks its pieces (SKIP LOCKED) and re-checks they are still
accepted, so concurrent builders never put a piece in two lots."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path, PurePath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postroom.channels.base import Takes
from postroom.domain.clock import Clock
from postroom.domain.errors import Conflict, ContentRemoved, NotFound, RetryableError
from postroom.domain.geometry import LAYOUTS
from postroom.domain.lots import (
    DEFAULT_CHANNEL,
    LotCandidate,
    ServiceTerms,
    candidate_presort_key,
    presort_key,
)
from postroom.domain.model import Account, Lot, MailPiece
from postroom.domain.states import LotState, PieceState
from postroom.services.email import EMAIL_CHANNEL
from postroom.services.ports import BlobStore, ChannelDirectory, UnitOfWork, UnitOfWorkFactory
from postroom.services.stages import COMPOSE_LOT, HAND_OFF_PIECE

log = logging.getLogger(__name__)

# The furthest any time zone runs ahead of UTC: no piece whose output date is later than
# today there can be due anywhere, so the database leaves it out of the plan.
MAX_UTC_OFFSET = timedelta(hours=14)


@dataclass(frozen=True)
class LotGroup:
    """Pieces that can share a lot: one channel and the same physical options."""

    channel: str
    envelope: str  # the piece's, else its service layout's; "" when neither is known
    plex: str
    color: bool
    postage: str
    paper: str

    def to_dict(self) -> dict[str, str | bool]:
        """The JSON form kept in lot.group_key."""
        return {
            "channel": self.channel,
            "envelope": self.envelope,
            "plex": self.plex,
            "color": self.color,
            "postage": self.postage,
            "paper": self.paper,
        }


@dataclass(frozen=True)
class PlannedLot:
    """A lot before allocation: its group and its pieces in production (presort) order."""

    group: LotGroup
    piece_ids: tuple[str, ...]
    sheets: int


def envelope_of(candidate: LotCandidate) -> str:
    """The piece's envelope: its own choice, else its service layout's ("" when neither is
    known: a piece without a service, or a service without a layout)."""
    if candidate.options.envelope:
        return candidate.options.envelope
    layout = LAYOUTS.get(candidate.service.layout) if candidate.service else None
    return layout.envelope.value if layout else ""


def group_of(candidate: LotCandidate) -> LotGroup:
    """The lot group a piece belongs to."""
    o = candidate.options
    return LotGroup(
        channel=channel_of(candidate),
        envelope=envelope_of(candidate),
        plex=o.plex.value,
        color=o.color,
        postage=o.postage.value,
        paper=o.paper,
    )


def sheets_of(candidate: LotCandidate) -> int:
    """Sheets the piece takes; pieces priced before sheets were counted use their pages."""
    return candidate.sheets if candidate.sheets > 0 else max(candidate.page_count, 1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r in a service; using UTC", name)
        return ZoneInfo("UTC")


def cut_off_at(day: date, terms: ServiceTerms) -> datetime:
    """The moment of the service's cut-off on `day`, in UTC."""
    try:
        hours, minutes = (int(part) for part in terms.cut_off.split(":"))
        moment = time(hours, minutes)
    except ValueError:
        log.warning("bad cut-off %r in a service; using midnight", terms.cut_off)
        moment = time(0, 0)
    return datetime.combine(day, moment, tzinfo=_zone(terms.timezone)).astimezone(UTC)


def is_due(candidate: LotCandidate, now: datetime, *, ignore_cut_off: bool = False) -> bool:
    """True when the piece should be produced now.

    No service or no output date: at once. An immediate service: as soon as its output
    date has come. Otherwise at the cut-off of its output date, in the service's time zone;
    `ignore_cut_off` (the operator's extra run) takes it once its output date has come."""
    terms, day = candidate.service, candidate.output_date
    if day is None:
        return True
    today = now.astimezone(_zone(terms.timezone) if terms else UTC).date()
    if terms is None or terms.immediate or ignore_cut_off:
        return day <= today
    return now >= cut_off_at(day, terms)


def plan_lots(
    candidates: Iterable[LotCandidate],
    *,
    now: datetime,
    max_pieces: int,
    max_sheets: int,
    ignore_cut_off: bool = False,
) -> list[PlannedLot]:
    """Group the due pieces, presort each group, and cut it into lots within both caps.

    A piece larger than `max_sheets` on its own gets a lot of its own rather than none."""
    groups: dict[LotGroup, list[LotCandidate]] = {}
    for c in candidates:
        if is_due(c, now, ignore_cut_off=ignore_cut_off):
            groups.setdefault(group_of(c), []).append(c)
    # Groups whose oldest piece waited longest go first.
    ordered = sorted(groups.items(), key=lambda kv: min(c.created_at for c in kv[1]))
    plans: list[PlannedLot] = []
    for group, members in ordered:
        members.sort(key=candidate_presort_key)
        ids: list[str] = []
        sheets = 0
        for c in members:
            size = sheets_of(c)
            if ids and (len(ids) >= max_pieces or sheets + size > max_sheets):
                plans.append(PlannedLot(group, tuple(ids), sheets))
                ids, sheets = [], 0
            ids.append(c.piece_id)
            sheets += size
        if ids:
            plans.append(PlannedLot(group, tuple(ids), sheets))
    return plans


def channel_of(candidate: LotCandidate) -> str:
    """The channel the piece was ordered on: its service's, else the default."""
    return candidate.service.channel if candidate.service else DEFAULT_CHANNEL


def lot_channels(channels: ChannelDirectory) -> tuple[str, ...]:
    """The channels the lot builder feeds: those that take lots, and those that take pieces
    one by one (handed over at their cut-off as lots are), but email: its pieces take their
    own stage (SEND_EMAIL) as soon as they are accepted. Channels of text messages take no
    piece at all."""
    messages = set(channels.names(Takes.MESSAGES))
    return tuple(n for n in channels.names() if n != EMAIL_CHANNEL and n not in messages)


def build_lots(
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    channels: ChannelDirectory,
    max_pieces: int,
    max_sheets: int | None = None,
    ignore_cut_off: bool = False,
) -> list[str]:
    """Allocate every due accepted piece to new lots of its channel, asking for each lot to
    be composed; a due piece of a channel that takes pieces is handed over on its own.

    `ignore_cut_off` is the operator's extra run (`postroom lots build --now`): pieces whose
    output date has come are taken without waiting for the day's cut-off."""
    now = clock.now()
    by_lot = set(channels.names(Takes.LOTS))
    with uow_factory() as uow:
        candidates = uow.lots.candidates(
            produce_by=(now + MAX_UTC_OFFSET).date(),
            channels=lot_channels(channels),
            default_channel=DEFAULT_CHANNEL,
        )
    singles = [
        c.piece_id
        for c in candidates
        if channel_of(c) not in by_lot and is_due(c, now, ignore_cut_off=ignore_cut_off)
    ]
    if singles:
        _hand_off(uow_factory, clock, singles)
    plans = plan_lots(
        [c for c in candidates if channel_of(c) in by_lot],
        now=now,
        max_pieces=max_pieces,
        max_sheets=max_sheets if max_sheets is not None else 2**31,
        ignore_cut_off=ignore_cut_off,
    )
    lot_ids: list[str] = []
    for plan in plans:
        try:
            lot_id = _allocate(uow_factory(), clock, plan)
        except RetryableError as exc:
            # Another builder took some of these pieces first; the next run plans again.
            log.info("lot allocation lost a race (%s); leaving it to the next run", exc)
            continue
        if lot_id is not None:
            lot_ids.append(lot_id)
    return lot_ids


def _hand_off(uow_factory: UnitOfWorkFactory, clock: Clock, piece_ids: list[str]) -> int:
    """Take due pieces of channels that take pieces one by one: each is allocated (no
    lot) and HAND_OFF_PIECE asked for it in the same transaction; returns how many."""
    taken = 0
    for start in range(0, len(piece_ids), 500):
        with uow_factory() as uow:
            now = clock.now()
            for piece in uow.lots.lock_accepted(piece_ids[start : start + 500]):
                piece.move_to(PieceState.ALLOCATED, now)
                channel = uow.catalog.service(piece.service_id) if piece.service_id else None
                payload = {
                    "piece_id": piece.id,
                    "channel_name": channel.channel if channel else DEFAULT_CHANNEL,
                }
                uow.outbox.add(HAND_OFF_PIECE, payload, now)
                taken += 1
            uow.commit()
    if taken:
        log.info("%d pieces to hand over one by one", taken)
    return taken


def _allocate(uow: UnitOfWork, clock: Clock, plan: PlannedLot) -> str | None:
    """Lock the plan's pieces that are still accepted and put them in one new lot."""
    with uow:
        pieces = list(uow.lots.lock_accepted(plan.piece_ids))
        if not pieces:
            return None
        pieces.sort(key=lambda p: presort_key(p.recipient, p.created_at, p.id))
        now = clock.now()
        lot = Lot(
            created_at=now,
            piece_count=len(pieces),
            page_count=sum(p.page_count for p in pieces),
            channel=plan.group.channel,
            group_key=plan.group.to_dict(),
            sheet_count=sum(_sheets(p) for p in pieces),
        )
        uow.lots.add(lot)
        for piece in pieces:
            piece.allocate(lot.id, now)
        uow.outbox.add(COMPOSE_LOT, {"lot_id": lot.id}, now)
        uow.commit()
    log.info("lot %s allocated: %d pieces, %d sheets", lot.id, lot.piece_count, lot.sheet_count)
    return lot.id


def _sheets(piece: MailPiece) -> int:
    return piece.sheets if piece.sheets > 0 else max(piece.page_count, 1)


def lots_waiting(*, uow: UnitOfWork) -> list[str]:
    """Lots allocated whose files are not written yet, oldest first."""
    with uow:
        return list(uow.lots.ids_in_state(LotState.COMPOSING))


def pieces_waiting_for_check(*, uow: UnitOfWork) -> int:
    """Letters closed but not checked yet: no lot can take them until a worker has (a
    batch's closed pieces wait for their batch's close instead, and are not counted)."""
    with uow:
        return uow.pieces.count_awaiting_check()


def sweep_interrupted_compositions(
    *, uow_factory: UnitOfWorkFactory, channels: ChannelDirectory
) -> int:
    """Remove what crashes left of lots no longer composing (hidden folders of a print
    channel), on every lot channel; returns how many were removed.

    A lot still composing keeps its own: its next composition removes them while it holds
    the lot's row, since only then can no live composer be writing into one of them."""
    removed = 0
    for name in channels.names(Takes.LOTS):
        channel = channels.get(name)
        found = channel.interrupted()
        if not found:
            continue
        with uow_factory() as uow:
            settled = [
                lot_id
                for lot_id in found
                if (lot := uow.lots.get(lot_id)) is None or lot.state is not LotState.COMPOSING
            ]
        for lot_id in settled:
            channel.discard(found[lot_id])
        removed += sum(len(found[lot_id]) for lot_id in settled)
    if removed:
        log.info("removed %d folders of compositions a crash cut short", removed)
    return removed


# --- reading lots (the print-room operator only) ---------------------------------------


def require_operator(uow: UnitOfWork, account_id: str) -> Account:
    """The caller's account when it is the print room's; NotFound otherwise, so another
    account cannot even tell that lots exist."""
    account = uow.accounts.get(account_id)
    if account is None or not account.operator:
        raise NotFound("no such resource")
    return account


def list_lots(
    *,
    uow: UnitOfWork,
    account_id: str | None,
    state: LotState | None = None,
    after: tuple[datetime, str] | None = None,
    limit: int = 50,
) -> Sequence[Lot]:
    """A page of lots, newest first; `account_id` must be an operator's (None: the local
    operator at the command line, who holds the data folder)."""
    with uow:
        if account_id is not None:
            require_operator(uow, account_id)
        return uow.lots.page(state=state, after=after, limit=limit)


@dataclass(frozen=True)
class LotDetail:
    """A lot with a count of its pieces by state."""

    lot: Lot
    pieces_by_state: dict[str, int]


def get_lot(*, uow: UnitOfWork, account_id: str | None, lot_id: str) -> LotDetail:
    """One lot and its pieces summary (operator only, as for list_lots)."""
    with uow:
        if account_id is not None:
            require_operator(uow, account_id)
        lot = uow.lots.get(lot_id)
        if lot is None:
            raise NotFound(f"no lot {lot_id}")
        counts = uow.lots.piece_state_counts(lot_id)
        return LotDetail(lot=lot, pieces_by_state={s.value: n for s, n in counts.items()})


MEDIA_TYPES = {".pdf": "application/pdf", ".json": "application/json", ".csv": "text/csv"}


def _chunks_of(path: Path) -> Iterator[bytes] | None:
    """A file's content a megabyte at a time; None when it is not there."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None

    def read() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    return read()


@dataclass(frozen=True)
class LotFile:
    """One of a written lot's files, read from where its channel put it."""

    name: str
    media_type: str
    sha256: str  # as written (the lot's record)
    chunks: Iterator[bytes]


def lot_file(
    *,
    uow: UnitOfWork,
    channels: ChannelDirectory,
    blobs: BlobStore,
    account_id: str,
    lot_id: str,
    name: str,
) -> LotFile:
    """A file of a lot (its print PDF, manifests, ticket), operator only: NotFound for a name
    the lot did not write, Conflict while it is not written, ContentRemoved when its channel
    no longer holds it."""
    with uow:
        require_operator(uow, account_id)
        lot = uow.lots.get(lot_id)
        if lot is None:
            raise NotFound(f"no lot {lot_id}")
    if not lot.files:
        raise Conflict(
            f"the lot is {lot.state.value}; its files are written when it is composed",
            detail={"state": lot.state.value},
        )
    if name not in lot.files:
        raise NotFound(f"the lot has no file {name!r}; it has {', '.join(sorted(lot.files))}")
    chunks: Iterator[bytes] | None
    if lot.files[name] == lot.deposit_proof_sha256:
        # The deposit proof is kept as a blob; its copy beside the lot's files goes with
        # them when the print room takes the lot away: read it from the blob store.
        chunks = _chunks_of(blobs.path(lot.files[name]))
    else:
        try:
            chunks = channels.get(lot.channel).lot_file(lot.id, name)
        except LookupError:  # a channel this process is not configured with
            chunks = None
    if chunks is None:
        raise ContentRemoved(f"the {lot.channel} channel no longer holds {name} of lot {lot.id}")
    media_type = MEDIA_TYPES.get(PurePath(name).suffix, "application/octet-stream")
    return LotFile(name, media_type, lot.files[name], chunks)
