"""The SMS channel: one recipient's copy of a text handed to a Kannel gateway over its sendsms
HTTP interface, with a delivery-report URL pointing back to Postroom.

Kannel's user guide ("Sending SMS", the sendsms interface, and "Delivery reports"): a GET to
smsbox's /cgi-bin/sendsms with username, password, from, to, text, charset and coding; the
answer is 202 "0: Accepted for delivery" (or "3: Queued for later delivery"); with dlr-mask
and dlr-url, smsbox calls dlr-url once per report, putting the report's type where the URL
says %d (1 delivered to the phone, 2 not delivered to the phone, 4 queued on the SMSC,
8 delivered to the SMSC, 16 not delivered to the SMSC).

Failures are classified here: no gateway configured, a connection that fails, a 5xx, or a
refused login (an operator fixes those once for every message) are retryable; any other
refusal of the message is permanent for that recipient."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlencode

from postroom.channels.base import (
    Channel,
    PermanentChannelError,
    Receipt,
    RetryableChannelError,
    Submission,
    Takes,
)
from postroom.domain.sms import SmsState

if TYPE_CHECKING:
    import httpx

    from postroom.config import Settings

log = logging.getLogger(__name__)

# Kannel's delivery-report types (dlr-mask bits) and the recipient state each means; 4
# (queued on the SMSC) changes nothing.
REPORT_STATES: dict[int, SmsState | None] = {
    1: SmsState.DELIVERED,
    2: SmsState.FAILED,
    4: None,
    8: SmsState.SENT,
    16: SmsState.FAILED,
}
# Reports asked for: delivered or not to the phone, and not delivered to the SMSC. "Taken
# by the SMSC" (8) is left out: Kannel's 202 says as much, and it would double the calls.
DLR_MASK = 1 | 2 | 16
# Kannel's `coding`: 0 the GSM default alphabet, 2 UCS-2.
CODING = {"gsm": 0, "ucs2": 2}


@dataclass(frozen=True)
class OutgoingSms:
    """One recipient's copy of a message, as handed to the gateway."""

    sms_id: str
    position: int
    to: str  # E.164, +46701234567
    sender: str
    text: str
    alphabet: str  # "gsm" or "ucs2" (domain/sms.encoding_of)
    report_url: str | None  # where the gateway reports delivery (None: no reports)


class SmsRefused(PermanentChannelError):
    """The gateway refused this recipient's message for good."""


class GatewayNotConfigured(RetryableChannelError):
    """No Kannel sendsms URL is set: messages wait until an operator sets one."""


class KannelSmsChannel(Channel):
    """Sends one recipient's copy at a time to Kannel's sendsms interface (`send`)."""

    name = "sms_kannel"
    takes = Takes.MESSAGES

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """On the POSTROOM_KANNEL_* settings and POSTROOM_SMS_REPORT_URL."""
        config: dict[str, Any] = {
            "sendsms_url": settings.kannel_sendsms_url,
            "username": settings.kannel_username,
            "password": settings.kannel_password,
            "timeout": settings.kannel_timeout_seconds,
            "report_base_url": settings.sms_report_url,
        }
        return cls(**{**config, **options})

    def __init__(
        self,
        *,
        sendsms_url: str = "",
        username: str = "",
        password: str = "",
        timeout: float = 10.0,
        report_base_url: str = "",
        **_: Any,
    ) -> None:
        self.sendsms_url = sendsms_url
        self.username = username
        self.password = password
        self.timeout = timeout
        self.report_base_url = report_base_url.rstrip("/")
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def report_url(self, *, sms_id: str, position: int, token: str) -> str | None:
        """The dlr-url for one recipient: Postroom's report endpoint with the recipient and
        its token, and %d where Kannel puts the report's type; None without a base URL."""
        if not self.report_base_url:
            return None
        query = urlencode({"sms": sms_id, "n": position, "t": token})
        return f"{self.report_base_url}/v1/sms/reports?{query}&type=%d"

    def send(self, sms: OutgoingSms) -> Receipt:
        """Hand the copy to the gateway; raises RetryableChannelError or SmsRefused."""
        if not self.sendsms_url:
            raise GatewayNotConfigured(
                "POSTROOM_KANNEL_SENDSMS_URL is not set: text messages wait (and retry) until it is"
            )
        params: dict[str, str | int] = {
            "username": self.username,
            "password": self.password,
            "from": sms.sender,
            "to": sms.to,
            "text": sms.text,
            "charset": "UTF-8",
            "coding": CODING[sms.alphabet],
        }
        if sms.report_url:
            params["dlr-mask"] = DLR_MASK
            params["dlr-url"] = sms.report_url
        import httpx  # here, not at the top: every command loads the channel classes

        try:
            response = self._http().get(self.sendsms_url, params=params)
        except httpx.HTTPError as exc:
            where = self.sendsms_url
            raise RetryableChannelError(f"cannot reach Kannel at {where}: {exc}") from exc
        answer = response.text.strip()
        if response.status_code in (200, 202):
            return Receipt(reference=f"{sms.sms_id}:{sms.position}", facts={"kannel": answer})
        reason = f"Kannel answered {response.status_code} {answer}".strip()
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            raise RetryableChannelError(reason)
        raise SmsRefused(reason)

    def close(self) -> None:
        """Close the HTTP connections kept to the gateway."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _http(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout)
            return self._client

    def _submit(self, submission: Submission) -> Receipt:
        raise PermanentChannelError("the SMS channel sends text messages (send), not letters")
