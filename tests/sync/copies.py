"""Two school copies in this process, each its own app with its own SQLite file and
instance folder (its own node key), beside the district app of the suite (SQLite or
PostgreSQL). Bundles go between them as bytes, through the same export and import as
the commands and the pages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from intranet import create_app
from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import services as inspections
from tests.fixtures.app import TEST_SECRET, FreshContextClient
from tests.inspections.conftest import SCHEMA, launch, submission_of


@pytest.fixture(scope="session")
def copy_apps(app, tmp_path_factory) -> list:
    made = []
    before = os.environ.get("INTRANET_INSTANCE_PATH")
    try:
        for name in ("pc1", "pc2"):
            folder = tmp_path_factory.mktemp(name)
            os.environ["INTRANET_INSTANCE_PATH"] = str(folder)
            copy = create_app(
                {
                    "TESTING": True,
                    "SECRET_KEY": TEST_SECRET,
                    "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(folder / "copy.sqlite3"),
                    "WTF_CSRF_ENABLED": False,
                    "SERVER_NAME": None,
                    "MODE": "school",
                }
            )
            copy.test_client_class = FreshContextClient
            made.append(copy)
    finally:
        if before is None:
            os.environ.pop("INTRANET_INSTANCE_PATH", None)
        else:
            os.environ["INTRANET_INSTANCE_PATH"] = before
    return made


def _empty(copy) -> None:
    with copy.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            present = set(inspect(conn).get_table_names())
            for table in reversed(db.metadata.sorted_tables):
                if table.name in present:
                    conn.execute(table.delete())


@dataclass
class Copy:
    """One school PC: its app, and its node id at the district."""

    app: Any
    node_id: str = ""

    @contextmanager
    def ctx(self) -> Iterator[None]:
        with self.app.app_context():
            yield
            db.session.remove()

    def export(self) -> bytes:
        from sync.exporter import export_up

        with self.ctx():
            return export_up().data

    def take(self, data: bytes):
        from sync.importer import import_bundle

        with self.ctx():
            return import_bundle(data)

    def local(self) -> dict[str, Any]:
        from sync.models import SyncLocal

        with self.ctx():
            row = db.session.get(SyncLocal, 1)
            return {
                "state": row.digest_state,
                "diff": list(row.digest_diff or []),
                "node": row.node_id,
            }

    def submission(self, uuid: str) -> dict[str, Any]:
        from intranet.inspections.models import Submission

        with self.ctx():
            sub = db.session.scalar(select(Submission).where(Submission.uuid == uuid))
            return {"answers": dict(sub.answers or {}), "status": sub.status, "head": sub.head_uuid}

    def answer(self, uuid: str, login: str, key: str, value: Any) -> None:
        from intranet.auth.models import User
        from intranet.inspections.models import Submission

        with self.ctx():
            sub = db.session.scalar(select(Submission).where(Submission.uuid == uuid))
            user = db.session.scalar(select(User).where(User.login == login))
            inspections.save_answer(user, sub, key, value, sub.revision)

    def item(self, uuid: str) -> dict[str, Any]:
        from intranet.roadmaps import changes
        from intranet.roadmaps.models import RoadmapItem

        with self.ctx():
            item = db.session.scalar(select(RoadmapItem).where(RoadmapItem.uuid == uuid))
            return changes.values_of(item)

    def edit_item(self, uuid: str, login: str, **data: Any) -> None:
        from intranet.auth.models import User
        from intranet.roadmaps import services as roadmaps
        from intranet.roadmaps.models import RoadmapItem

        with self.ctx():
            item = db.session.scalar(select(RoadmapItem).where(RoadmapItem.uuid == uuid))
            user = db.session.scalar(select(User).where(User.login == login))
            roadmaps.update_roadmap_item(user, item, data, item.revision)

    def change_uuids(self) -> set[str]:
        from intranet.changelog.models import Change

        with self.ctx():
            return set(db.session.scalars(select(Change.uuid).where(Change.applied.is_(True))))

    def sql(self, statement: str, **params: Any) -> None:
        """Edit the database behind the app's back (a corrupted row)."""
        with self.ctx():
            db.session.execute(text(statement), params)
            db.session.commit()


@dataclass
class School:
    """The district side of one school with two enrolled PCs."""

    district: Any
    school: Any
    admin: Any
    head: Any
    staff: Any
    sub_uuid: str
    item_uuid: str
    pcs: list[Copy]

    def export(self, pc: Copy | None = None) -> bytes:
        from sync.exporter import export_for_school

        return export_for_school(self.school, pc.node_id if pc else None).data

    def take(self, data: bytes):
        from sync.importer import import_bundle

        result = import_bundle(data)
        db.session.expire_all()
        return result

    def up(self, pc: Copy):
        return self.take(pc.export())

    def down(self, pc: Copy, *, for_node: bool = True):
        return pc.take(self.export(pc if for_node else None))

    def sync(self, pc: Copy):
        self.up(pc)
        return self.down(pc)

    def node(self, pc: Copy):
        from sync.models import SyncNode

        db.session.expire_all()
        return db.session.get(SyncNode, pc.node_id)


@pytest.fixture
def school_pcs(app_ctx, make, plans, copy_apps) -> School:
    """A school with a published roadmap and a launched form, enrolled on two PCs."""
    from intranet.roadmaps.models import RoadmapItem, SchoolRoadmap
    from sync.enrol import build_enrolment, init_copy
    from tests.fixtures.roadmaps import PUBLISHED_ITEMS

    district = make.district()
    school = make.school(district)
    admin = make.user(Role.DISTRICT_ADMIN, district=district, full_name="Администратор УО")
    head = make.user(Role.SCHOOL_HEAD, school=school, full_name="Директор Белова")
    staff = make.user(Role.SCHOOL_STAFF, school=school, full_name="Учитель Ким")
    plan = plans.plan(admin, PUBLISHED_ITEMS, sections=("1. Анализ результатов",))
    plans.publish(admin, plan)
    template = inspections.create_template(admin, district.id, "Самообследование ВСОКО", "", SCHEMA)
    inspections.publish_version(admin, template.latest)
    campaign = launch(admin, template)
    sub = submission_of(campaign, school)
    roadmap = db.session.scalar(select(SchoolRoadmap).where(SchoolRoadmap.school_id == school.id))
    item = db.session.scalar(
        select(RoadmapItem).where(RoadmapItem.roadmap_id == roadmap.id, RoadmapItem.number == "1.1")
    )
    pcs = []
    for copy_app, label in zip(copy_apps, ("ПК секретаря", "ПК завуча"), strict=True):
        _empty(copy_app)
        made = build_enrolment(admin, school, label)
        pc = Copy(copy_app, made.node_id)
        with pc.ctx():
            init_copy(made.data)
        pcs.append(pc)
    yield School(district, school, admin, head, staff, sub.uuid, item.uuid, pcs)
    for copy_app in copy_apps:
        _empty(copy_app)
