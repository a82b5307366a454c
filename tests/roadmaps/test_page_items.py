"""The roadmap page reads its items as plain rows (``page_items``): each carries what the
mapped item does, in the same order, with its evidence in the same order."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from intranet.extensions import db
from intranet.roadmaps import services
from intranet.roadmaps.models import SchoolRoadmap
from intranet.roadmaps.page_items import _EVIDENCE_FIELDS, _ITEM_FIELDS, page_items


def test_page_items_read_as_the_mapped_items(published):
    staff = published.staff
    first, second = published.item("1.1"), published.item("1.2")
    services.add_evidence_link(staff, first, "https://example.org/a")
    services.add_evidence_file(staff, first, "акт.pdf", b"%PDF-1.4 act")
    services.add_evidence_link(staff, second, "https://example.org/b")
    services.add_own_item(staff, published.roadmap, {"text": "Своя мера", "deadline_text": ""})
    second.done_on = date(2025, 12, 1)
    second.school_text = "Своими словами"
    db.session.commit()
    db.session.expire_all()

    roadmap = db.session.get(SchoolRoadmap, published.roadmap.id)
    read = page_items(roadmap.id)
    assert [i.id for i in read] == [i.id for i in roadmap.items]
    assert any(i.evidence for i in read)
    for plain, mapped in zip(read, roadmap.items, strict=True):
        for name in _ITEM_FIELDS:
            assert getattr(plain, name) == getattr(mapped, name), name
        assert plain.is_own == mapped.is_own
        for day in (date(2020, 1, 1), date(2030, 1, 1)):
            assert plain.is_overdue(day) == mapped.is_overdue(day)
        assert [(e.id, e.is_file) for e in plain.evidence] == [
            (e.id, e.is_file) for e in mapped.evidence
        ]
        for pe, me in zip(plain.evidence, mapped.evidence, strict=True):
            for name in _EVIDENCE_FIELDS:
                assert getattr(pe, name) == getattr(me, name), name


def test_another_roadmaps_items_are_not_read(published):
    theirs = published.sibling_roadmap.id
    ours = {i.id for i in page_items(published.roadmap.id)}
    assert ours
    assert ours.isdisjoint(
        i.id
        for i in db.session.scalars(select(SchoolRoadmap).where(SchoolRoadmap.id == theirs))
        .one()
        .items
    )
