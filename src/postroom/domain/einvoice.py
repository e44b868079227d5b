"""Whether a sender's e-invoice (EDI) set-up towards one receiver is complete, and which
steps are missing: the parties' identifiers (organisation numbers, GS1 global location
numbers) must be well formed, the sender must be set up as an EDI sender, and the receiver
must have accepted the sender's invitation (Ekopost's "Check Einvoice Complience")."""

from __future__ import annotations

from dataclasses import dataclass

GLN_DIGITS = 13
CIN_DIGITS = 10  # a Swedish organisation number: NNNNNN-NNNN, the last digit a Luhn check
CIN_CENTURY = "16"  # the 12-digit form's prefix (16NNNNNNNNNN)


def _digits(value: str, *, separators: str) -> str:
    kept = value.strip()
    for sep in separators:
        kept = kept.replace(sep, "")
    return kept


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of a number's other digits (weights 3, 1 from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    """True when the digits pass the Luhn check (the last digit is the check digit)."""
    total = 0
    for i, d in enumerate(reversed(number)):
        n = int(d) * (2 if i % 2 == 1 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def gln_problem(value: str) -> str | None:
    """Why a global location number is not one (13 digits, the last a GS1 check digit)."""
    digits = _digits(value, separators=" ")
    if len(digits) != GLN_DIGITS or not digits.isascii() or not digits.isdigit():
        return f"{GLN_DIGITS} digits"
    if gs1_check_digit(digits[:-1]) != int(digits[-1]):
        return "a wrong check digit"
    return None


def cin_problem(value: str) -> str | None:
    """Why an organisation number is not a Swedish one (10 digits, optionally with a dash
    or the 16 prefix, the last a Luhn check digit)."""
    digits = _digits(value, separators=" -")
    if len(digits) == CIN_DIGITS + 2 and digits.startswith(CIN_CENTURY):
        digits = digits[2:]
    if len(digits) != CIN_DIGITS or not digits.isascii() or not digits.isdigit():
        return f"{CIN_DIGITS} digits"
    if not luhn_valid(digits):
        return "a wrong check digit"
    return None


@dataclass(frozen=True)
class EinvoiceParties:
    """The sender and receiver of an EDI invoice, each by organisation number and/or GLN
    (empty when not given)."""

    sender_cin: str = ""
    sender_gln: str = ""
    receiver_cin: str = ""
    receiver_gln: str = ""


def identifier_problems(parties: EinvoiceParties) -> list[str]:
    """What is wrong with the parties' identifiers: each party needs its organisation number
    or its GLN, and each one given must be well formed."""
    problems: list[str] = []
    for party, cin, gln in (
        ("sender", parties.sender_cin, parties.sender_gln),
        ("receiver", parties.receiver_cin, parties.receiver_gln),
    ):
        name = party.capitalize()
        if not cin.strip() and not gln.strip():
            problems.append(f"{name}Cin or {name}Gln is required.")
        if cin.strip() and (why := cin_problem(cin)):
            problems.append(f"{name}Cin is not an organisation number ({why}).")
        if gln.strip() and (why := gln_problem(gln)):
            problems.append(f"{name}Gln is not a global location number ({why}).")
    return problems


def setup_problems(
    parties: EinvoiceParties, *, sender_set_up: bool, receiver_connected: bool
) -> list[str]:
    """Every missing step of the sender's e-invoice set-up towards the receiver, in the
    order they are taken; none means the set-up is complete."""
    problems = identifier_problems(parties)
    if problems:
        return problems
    if not sender_set_up:
        problems.append("The sender is not set up for EDI invoices: create the sender first.")
    if not receiver_connected:
        problems.append(
            "The receiver has not approved a connection: send it an invitation and wait for "
            "its approval."
        )
    return problems
