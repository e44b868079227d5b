"""The rules /posten's registrations go through (domain/tracking.py): which shipments a user
limited to some shops reaches, and which events may name a communication channel."""

from __future__ import annotations

from postroom.domain.tracking import EventCatalog, channel_allowed, shop_allowed

CATALOG = EventCatalog.load()


def test_a_user_without_a_limit_reaches_every_shipment() -> None:
    assert shop_allowed(frozenset(), "north")
    assert shop_allowed(frozenset(), None)


def test_a_limited_user_reaches_only_its_shops_and_no_shipment_without_one() -> None:
    limited = frozenset({"north"})
    assert shop_allowed(limited, "north")
    assert not shop_allowed(limited, "south")
    assert not shop_allowed(limited, None)


def test_only_communication_events_name_a_channel() -> None:
    row = CATALOG.get("040")
    assert row is not None and row.group == "communication"
    assert channel_allowed("040", "SMS", CATALOG)
    assert channel_allowed("012", "EMAIL", CATALOG)
    assert not channel_allowed("013", "SMS", CATALOG)
    assert not channel_allowed("999", "SMS", CATALOG)  # not in the catalog
    assert channel_allowed("013", None, CATALOG)
