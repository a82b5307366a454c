"""Evidence comes back as it was sent, streamed from the database in pieces (issue 14,
item 6): byte for byte, with its length and its hash as the ETag known before the first
byte; another school's file answers 404."""

from __future__ import annotations

import hashlib
import io
import os

from sqlalchemy import select

from intranet.changelog.services import CHUNK_BYTES
from intranet.extensions import db
from intranet.roadmaps import services
from intranet.roadmaps.models import Evidence
from tests.fixtures.roadmaps import text_of

# A scan of some MB whose size is no multiple of the piece size: the last piece is short.
SCAN = b"%PDF-1.4\n" + os.urandom(3 * 1024 * 1024 + 12_345)


def _upload(client, published, data: bytes, name: str):
    item = published.item("1.1")
    response = client.post(
        published.item_url(item, "/evidence"),
        data={"url": "", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Подтверждение добавлено к мероприятию 1.1." in text_of(response)
    return db.session.scalars(
        select(Evidence).where(Evidence.item_id == item.id, Evidence.filename == name)
    ).one()


def test_a_downloaded_file_equals_the_uploaded_one(client, published, login_as, client_of):
    login_as(published.staff)
    evidence = _upload(client, published, SCAN, "Скан приказа.pdf")
    link = published.url(f"/evidence/{evidence.id}")
    digest = hashlib.sha256(SCAN).hexdigest()

    for reader in (client, client_of(published.reviewer)):
        response = reader.get(link, buffered=False)
        assert response.status_code == 200
        # Known before the body: the browser shows the progress and the size.
        assert response.headers["Content-Length"] == str(len(SCAN))
        assert response.headers["ETag"] == f'"{digest}"'
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "UTF-8''%D0%A1%D0%BA%D0%B0%D0%BD" in response.headers["Content-Disposition"]
        pieces = list(response.response)
        response.close()
        assert b"".join(pieces) == SCAN
        # Sent as read from the database, piece by piece, not as one whole file.
        assert len(pieces) == -(-len(SCAN) // CHUNK_BYTES)
        assert max(len(p) for p in pieces) == CHUNK_BYTES

    # The browser that has it already gets no body.
    again = client.get(link, headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304
    assert again.data == b""


def test_another_schools_evidence_answers_404(client, published, login_as):
    theirs = published.item("1.1", published.sibling_roadmap)
    their_file = services.add_evidence_file(published.sibling_staff, theirs, "их.pdf", SCAN)
    login_as(published.staff)
    own = published.roadmap
    for url in (
        f"/schools/{own.school_id}/roadmaps/{own.id}/evidence/{their_file.id}",
        published.url(f"/evidence/{their_file.id}", roadmap=published.sibling_roadmap),
        f"/schools/{own.school_id}/roadmaps/{published.sibling_roadmap.id}"
        f"/evidence/{their_file.id}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert SCAN[:1000] not in response.data
