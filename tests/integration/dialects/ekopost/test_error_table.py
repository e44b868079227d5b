"""Seed 004, "Error code values": every code carries the seed's own words as its
error_message, and an error produced over HTTP shows them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from postroom.dialects.ekopost.mapping import ERROR_MESSAGES, EkopostCode
from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import (
    POSTAL,
    assert_error,
    create_campaign,
    create_envelope,
)

# The seed's table, as written (code | description).
SEED_ERROR_CODE_VALUES = """\
0 | Invalid basic authentication token.
100A | The envelope must contain atleast one (1) document before being closed.
100B | The envelope must contain atleast one (1) markup before being closed.
101 | A campaign must contain atleast one (1) envelope before being closed.
102 | All envelopes inside a campaign must be closed before closing the campaign.
103 | An envelope may only contain one (1) document.
104 | An envelope may only contain content with mime of 'application/pdf'.
105 | Could not extract or identify a postal address in the envelopes main documents.
106 | Campaign was not found.
107 | Could not open the main document content or find any pages.
108 | An envelope may only contain content of type 'attachment' with mime set to 'application/pdf'.
109 | An envelope may only contain content of type 'markup' with mime set to 'application/xml'.
110 | An envelope may only contain one (1) markup.
111 | Envelope was not found.
112 | Specified country is not a valid ISO 3166-1 encoded alpha-2 code.
113 | You have exceeded your credit limit for the month, please contact our customer service to adjust your credit limit.
114 | The searchparams is null.
115 | The searchparams is invalid.
116 | The timespan is invalid.
117 | The document size is invalid.
118 | The attachment size is invalid.
119 | Missing recipient.
120 | Missing email
121 | Can not create more envelopes in campaign
122 | One signer needed
123 | Email address contains invalid characters.
124 | FUI-number is not registrered
125 | No applicants registrered for this FUI
126 | Not unique
127 | Invalid data
128 | Wrong mime for sms. Mime should be 'text/plain'
129 | Empty data field
130 | Sms text message not encoded into base64
131 | Sms recipients contains invalid phone number.
132 | Sms does not contain any recipients
133 | Sms "FromName" is null or empty.
134 | Sms too many recipients (100 000 is the max limit)
135 | Address validation error, error contains more details such as "Name too long (max 35 characters)"
136 | Invalid contract, error contains more details.
137 | Document content not found on the specified envelope
138 | Recipient can not be the same as the issuer
139 | Recipient must have a valid valuer
140 | No setup for protected mailing, contact hejsan@ekopost.se to get started with protected mailing.
141 | Invalid contract
142 | Reply mail template missing
143 | More than 50 documents over 8Mb sent current day
"""  # noqa: E501

# Where the seed describes the message and its details, the message is the words before
# ", error contains more details" (the details go in developer_message).
DETAILS = ", error contains more details"


def _seed_table() -> dict[str, str]:
    rows = (line.split(" | ", 1) for line in SEED_ERROR_CODE_VALUES.splitlines())
    return {code: words for code, words in rows}


def test_error_code_values_carry_the_seeds_words() -> None:
    seed = _seed_table()
    assert len(seed) == 46
    for code, words in seed.items():
        message = ERROR_MESSAGES[EkopostCode(code)]
        expected = words.split(DETAILS, 1)[0] if DETAILS in words else words
        assert message == expected, code


def test_error_137_answers_the_seeds_words(eko: TestClient, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    missing = eko.get(f"{base}/content/{envelope['id']}", headers=tenant.headers)
    assert_error(missing, 404, "137")
    assert missing.json()["error_message"] == (
        "Document content not found on the specified envelope"
    )
