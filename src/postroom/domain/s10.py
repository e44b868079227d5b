"""UPU S10 item identifiers for registered mail: two letters for the service, an 8-digit
serial, a check digit and the issuing country, e.g. RR123456785SE.

The check digit follows UPU standard S10: the serial's digits weighted 8, 6, 4, 2, 3, 5,
9, 7 and summed; 11 minus the sum modulo 11, where 10 becomes 0 and 11 becomes 5.
"""

from __future__ import annotations

import re

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
REGISTERED_LETTER = "RR"  # "R" service indicators are registered items
SERIAL_LIMIT = 10**8
PATTERN = re.compile(r"^[A-Z]{2}\d{9}[A-Z]{2}$")


def check_digit(serial: str) -> int:
    """The S10 check digit of an 8-digit serial."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"an S10 serial is 8 digits, not {serial!r}")
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(remainder, remainder)


def identifier(number: int, country: str, service: str = REGISTERED_LETTER) -> str:
    """The identifier for the `number`-th item (wrapping past 99,999,999)."""
    serial = f"{number % SERIAL_LIMIT:08d}"
    return f"{service}{serial}{check_digit(serial)}{country.upper()}"


def is_valid(value: str) -> bool:
    """True for a well-formed identifier whose check digit is right."""
    return bool(PATTERN.match(value)) and check_digit(value[2:10]) == int(value[10])
