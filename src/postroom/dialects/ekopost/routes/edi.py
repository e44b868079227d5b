"""Ekopost's EDI invoice integration: "Create sender", "EDI Invitations" and "Update and get
a list of sent invitation and their statuses", on the core's EDI records (services/edi.py).

The seed gives no paths for these (nor does the public Ekopost client found, which covers
campaigns, envelopes, content and reachable only): Postroom serves them at `edi/sender`,
`edi/invitations` and `edi/invitations/update` (docs/dialects/ekopost.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from postroom.dialects.ekopost.auth import EkopostPrincipal
from postroom.dialects.ekopost.routes.common import new_router
from postroom.dialects.ekopost.schemas import EkopostIn, utc_text
from postroom.domain.edi import EdiInvitation, SenderDetails
from postroom.http.deps import ContainerDep
from postroom.services import edi
from postroom.services.retry import retrying

router = new_router()


class SenderIn(EkopostIn):
    """Create sender: the seed's fields as it names them (its email row lost its name:
    `Email`, as the others are capitalised)."""

    Name: str = Field(default="", max_length=200)
    Address1: str = Field(default="", max_length=200)
    Address2: str = Field(default="", max_length=200)
    Zip_Code: str = Field(default="", max_length=20)
    City: str = Field(default="", max_length=100)
    Country_Code: str = Field(default="", max_length=2)
    Contact_Name: str = Field(default="", max_length=200)
    Phone: str = Field(default="", max_length=50)
    Email: str = Field(default="", max_length=254)
    CIN: str = Field(default="", max_length=20)
    GLN: str = Field(default="", max_length=20)
    VAT: str = Field(default="", max_length=20)
    Bank_Giro: str = Field(default="", max_length=20)
    Plus_Giro: str = Field(default="", max_length=20)
    IBAN: str = Field(default="", max_length=34)
    BIC: str = Field(default="", max_length=11)

    def details(self) -> SenderDetails:
        """The core's sender details."""
        return SenderDetails(
            name=self.Name.strip(),
            cin=self.CIN.strip(),
            address1=self.Address1.strip(),
            address2=self.Address2.strip(),
            zip_code=self.Zip_Code.strip(),
            city=self.City.strip(),
            country_code=self.Country_Code.strip(),
            contact_name=self.Contact_Name.strip(),
            phone=self.Phone.strip(),
            email=self.Email.strip(),
            gln=self.GLN.strip(),
            vat=self.VAT.strip(),
            bank_giro=self.Bank_Giro.strip(),
            plus_giro=self.Plus_Giro.strip(),
            iban=self.IBAN.replace(" ", "").upper(),
            bic=self.BIC.strip().upper(),
        )


class MessageOut(BaseModel):
    """The status message of the request."""

    message: str


class InvitationOut(BaseModel):
    """One sent invitation, as the seed lists it (`Status` is the status code as text)."""

    ReceiverCin: str
    ReceiverGln: str
    DateSent: str
    Status: str

    @classmethod
    def of(cls, invitation: EdiInvitation) -> InvitationOut:
        return cls(
            ReceiverCin=invitation.receiver_cin,
            ReceiverGln=invitation.receiver_gln,
            DateSent=utc_text(invitation.date_sent),
            Status=str(int(invitation.status)),
        )


@router.post("/edi/sender", response_model=MessageOut, summary="Create sender")
def create_sender(body: SenderIn, c: ContainerDep, principal: EkopostPrincipal) -> MessageOut:
    """Set an EDI sender up (a second call with the same CIN updates it); 136 without EDI
    in the account's contract, 127 naming the field that is wrong, 112 a bad country code,
    123 a bad email."""
    saved = retrying(
        lambda: edi.save_sender(
            uow=c.uow(), clock=c.clock, account_id=principal.account_id, details=body.details()
        )
    )
    done = "created" if saved.created else "updated"
    return MessageOut(message=f"The sender {saved.sender.details.cin} was {done}.")


@router.get("/edi/invitations", response_model=list[InvitationOut], summary="EDI Invitations")
def list_invitations(c: ContainerDep, principal: EkopostPrincipal) -> list[InvitationOut]:
    """The account's sent invitations, newest first, with their statuses as last updated."""
    found = edi.list_invitations(uow=c.uow(), account_id=principal.account_id)
    return [InvitationOut.of(i) for i in found]


@router.post(
    "/edi/invitations/update",
    response_model=list[InvitationOut],
    summary="Update and get a list of sent invitation and their statuses",
)
def update_invitations(c: ContainerDep, principal: EkopostPrincipal) -> list[InvitationOut]:
    """Take in the statuses the EDI operator reported since the last update (and expire
    invitations nobody answered), then list them as GET edi/invitations does."""
    updated = retrying(
        lambda: edi.update_invitations(uow=c.uow(), clock=c.clock, account_id=principal.account_id)
    )
    return [InvitationOut.of(i) for i in updated]
