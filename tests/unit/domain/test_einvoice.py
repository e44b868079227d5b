"""domain/einvoice: organisation numbers, GLNs and the set-up steps in order."""

from __future__ import annotations

from postroom.domain.einvoice import EinvoiceParties, cin_problem, gln_problem, setup_problems


def test_organisation_numbers() -> None:
    assert cin_problem("202100-5489") is None  # Skatteverket
    assert cin_problem("16202100-5489") is None
    assert cin_problem("2021005488") == "a wrong check digit"
    assert cin_problem("20210054") == "10 digits"
    # Full-width digits are not taken as digits.
    assert cin_problem("２０２１００５４８９") == "10 digits"


def test_global_location_numbers() -> None:
    assert gln_problem("4006381333931") is None  # GS1's own example number
    assert gln_problem("4006381333932") == "a wrong check digit"
    assert gln_problem("400638133393") == "13 digits"


def test_setup_steps_come_after_the_identifiers() -> None:
    parties = EinvoiceParties(sender_cin="2021005489", receiver_gln="4006381333931")
    assert setup_problems(parties, sender_set_up=True, receiver_connected=True) == []
    missing = setup_problems(parties, sender_set_up=False, receiver_connected=True)
    assert missing == ["The sender is not set up for EDI invoices: create the sender first."]
    bad = EinvoiceParties(sender_cin="2021005488", receiver_gln="4006381333931")
    assert setup_problems(bad, sender_set_up=False, receiver_connected=False) == [
        "SenderCin is not an organisation number (a wrong check digit)."
    ]
