"""Click2Mail's requests as its clients send them: Basic auth, multipart documents, XML
address lists, form-encoded jobs; and its XML answers read back with lxml."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import httpx
from fastapi.testclient import TestClient
from lxml import etree
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from sqlalchemy import insert, select, text

from postroom.bootstrap import Container
from postroom.dialects.click2mail.mapping import ID_BASE
from postroom.storage import tables
from tests.conftest import Tenant

# The seed's job parameters as its Python example sends them (ids filled per test).
SEED_JOB = {
    "documentClass": "Letter 8.5 x 11",
    "layout": "Address on Separate Page",
    "productionTime": "Next Day",
    "envelope": "#10 Double Window",
    "color": "Black and White",
    "paperType": "White 24#",
    "printOption": "Printing One side",
}
JOHN = {
    "First_name": "John",
    "Last_name": "Smith",
    "Organization": "ACME Inc",
    "Address1": "100 Main St",
    "Address2": "Suite 2",
    "Address3": "",
    "City": "Springfield",
    "State": "IL",
    "Zip": "62701",
    "Country_non-US": "",
}
JANE = {**JOHN, "First_name": "Jane", "Last_name": "Doe", "Organization": "", "Address2": ""}


def basic(tenant: Tenant) -> dict[str, str]:
    token = base64.b64encode(f"{tenant.username}:{tenant.password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def us_letter(pages: int = 1) -> bytes:
    """A US Letter PDF with nothing in the #10 envelope's windows."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter)
    for page in range(1, pages + 1):
        pdf.drawString(72, 300, f"Hello from Click2Mail, page {page}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def xml(response: httpx.Response) -> dict[str, Any]:
    """An XML answer's root: its tag and each child's text (lists of children kept whole)."""
    assert response.headers["content-type"].startswith("application/xml"), response.text
    root = etree.fromstring(response.content)
    found: dict[str, Any] = {"_root": root.tag}
    for child in root:
        found[child.tag] = child.text if len(child) == 0 else child
    return found


def upload_document(client: TestClient, tenant: Tenant, pdf: bytes | None = None) -> str:
    return upload_document_with(client, basic(tenant), pdf)


def upload_document_with(
    client: TestClient, headers: dict[str, str], pdf: bytes | None = None
) -> str:
    response = client.post(
        "/molpro/documents",
        headers=headers,
        data={
            "documentName": "letter",
            "documentClass": "Letter 8.5 x 11",
            "documentFormat": "PDF",
        },
        files={"file": ("letter.pdf", pdf or us_letter(), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    return str(xml(response)["id"])


def address_list_xml(addresses: Sequence[dict[str, str]], name: str = "My list") -> bytes:
    root = etree.Element("addressList")
    etree.SubElement(root, "addressListName").text = name
    etree.SubElement(root, "addressMappingId").text = "1"
    holder = etree.SubElement(root, "addresses")
    for address in addresses:
        element = etree.SubElement(holder, "address")
        for field, value in address.items():
            etree.SubElement(element, field).text = value
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def create_address_list(
    client: TestClient, tenant: Tenant, addresses: Sequence[dict[str, str]] = (JOHN, JANE)
) -> str:
    return create_address_list_with(client, basic(tenant), addresses)


def create_address_list_with(
    client: TestClient, headers: dict[str, str], addresses: Sequence[dict[str, str]] = (JOHN, JANE)
) -> str:
    response = client.post(
        "/molpro/addressLists",
        headers={**headers, "Content-Type": "application/xml"},
        content=address_list_xml(addresses),
    )
    assert response.status_code == 201, response.text
    return str(xml(response)["id"])


def create_job(client: TestClient, tenant: Tenant, **params: Any) -> httpx.Response:
    return client.post("/molpro/jobs", headers=basic(tenant), data={**SEED_JOB, **params})


def next_key(container: Container, click2mail_id: int) -> None:
    """Make `click2mail_id` the next Click2Mail id given (so a test can hold the seed's)."""
    number = click2mail_id - ID_BASE
    with container.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('dialect_keys', 'number'), :n)"),
                {"n": number - 1},
            )
            return
        account = conn.execute(tables.accounts.select().limit(1)).first()
        assert account is not None
        conn.execute(
            insert(tables.dialect_keys).values(
                number=number - 1,
                dialect="test",
                kind="gap",
                account_id=account.id,
                core_id=f"gap-{number}",
            )
        )


def core_id_of(container: Container, click2mail_id: str) -> str:
    """The core id behind a Click2Mail id (a job's batch, a list, a document)."""
    t = tables.dialect_keys
    with container.engine.connect() as conn:
        return str(
            conn.execute(
                select(t.c.core_id).where(t.c.number == int(click2mail_id) - ID_BASE)
            ).scalar_one()
        )


def pieces_of_job(container: Container, job_id: str) -> set[str]:
    """The ids of the pieces a job made."""
    batch = core_id_of(container, job_id)
    t = tables.mail_pieces
    with container.engine.connect() as conn:
        return set(conn.execute(select(t.c.id).where(t.c.batch_id == batch)).scalars())
