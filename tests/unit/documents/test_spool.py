"""A spool gives back what was put in, in order, while holding only its last chunk."""

from __future__ import annotations

import operator
import os
import pickle
from threading import Thread

import pytest

from postroom.documents.spool import Spool


def test_items_come_back_in_order_from_the_file() -> None:
    spool: Spool[tuple[int, str]] = Spool(chunk_items=3)
    spool.extend((n, f"piece {n}") for n in range(10))

    assert len(spool) == 10
    assert list(spool) == [(n, f"piece {n}") for n in range(10)]
    assert (spool[0], spool[4], spool[9], spool[-1]) == (
        (0, "piece 0"),
        (4, "piece 4"),
        (9, "piece 9"),
        (9, "piece 9"),
    )
    assert list(spool[2:5]) == [(2, "piece 2"), (3, "piece 3"), (4, "piece 4")]
    with pytest.raises(IndexError):
        spool[10]
    # Three full chunks are on disk; only the tenth item is still in memory.
    assert repr(spool) == "Spool(10 items, 3 chunks on disk)"
    assert os.fstat(spool._file.fileno()).st_size > 0


def test_a_spool_equals_the_tuple_of_its_items_either_way_round() -> None:
    spool: Spool[int] = Spool(chunk_items=2)
    spool.extend([1, 2, 3])

    assert spool == (1, 2, 3)
    assert operator.eq((1, 2, 3), spool)  # the tuple on the left, as in a dataclass ==
    assert spool != (1, 2)
    assert spool != (1, 2, 4)
    assert pickle.loads(pickle.dumps(spool)) == (1, 2, 3)


def test_two_readers_at_once_each_get_every_item() -> None:
    spool: Spool[int] = Spool(chunk_items=7)
    spool.extend(range(1000))
    seen: list[list[int]] = [[], []]

    readers = [Thread(target=lambda out=out: out.extend(spool)) for out in seen]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()

    assert seen == [list(range(1000))] * 2


def test_a_closed_spool_has_removed_its_file() -> None:
    spool: Spool[int] = Spool(chunk_items=2)
    spool.extend(range(5))
    spool.close()

    assert spool._file.closed
    with pytest.raises(ValueError):
        list(spool)
