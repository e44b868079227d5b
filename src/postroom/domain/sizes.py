"""Sizes said as the docs and settings say them: in MiB (and KiB), with the exact bytes."""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB


def in_mib(size: int) -> str:
    """`size` bytes as people read it: "50 MiB", "50.3 MiB", "256 KiB", "900 bytes"."""
    if size >= MIB:
        value, unit = size / MIB, "MiB"
    elif size >= KIB:
        value, unit = size / KIB, "KiB"
    else:
        return f"{size} bytes"
    shown = f"{value:.1f}".removesuffix(".0")
    return f"{shown} {unit}"
