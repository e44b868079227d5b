"""Sizes in messages read as the docs state the limits (issue 13: "limits in MiB")."""

from __future__ import annotations

import pytest

from postroom.domain.sizes import in_mib


@pytest.mark.parametrize(
    ("size", "said"),
    [
        (52_428_800, "50 MiB"),  # POSTROOM_MAX_UPLOAD_BYTES' default
        (52_690_944, "50.2 MiB"),  # the default plus 256 KiB of form framing
        (1_073_741_824, "1024 MiB"),
        (262_144, "256 KiB"),
        (8_193, "8 KiB"),
        (1_536, "1.5 KiB"),
        (900, "900 bytes"),
    ],
)
def test_sizes_are_said_in_mib_or_kib(size: int, said: str) -> None:
    assert in_mib(size) == said
