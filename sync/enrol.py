"""Enrolment: the district makes a school's copy file; ``sync init`` turns it into a copy.

The file is a bundle signed by the district (direction "enrol") holding the school's rows
as the district has them, with the same ids and uuids, so every change made on the copy
names the very records the district knows. Rows the copy will create itself later (its
own items, answers, versions) get the copy's ids and travel by uuid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from intranet.audit.services import writing
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.mixins import utcnow
from intranet.schools.models import District, School
from sync import keys, rows
from sync.bundle import BundleRefused, read_bundle, write_bundle

# What a copy holds, in the order rows can be inserted (parents first).
TABLES = (
    "districts",
    "schools",
    "users",
    "plans",
    "plan_sections",
    "plan_items",
    "plan_item_dues",
    "school_roadmaps",
    "roadmap_items",
    "blobs",
    "evidence",
    "form_templates",
    "form_versions",
    "campaigns",
    "campaign_targets",
    "submissions",
    "versions",
    "review_events",
    "changes",
    "notifications",
)


def _in(column, values) -> Any:
    return column.in_(sorted(values) or [None])


def school_rows(school: School) -> dict[str, list[Any]]:
    """Every row a copy of ``school`` starts from, by table (only tables this build has)."""
    t = {name: rows.table(name) for name in TABLES if name in db.metadata.tables}
    q = db.session.execute
    found: dict[str, list[Any]] = {}

    def take(name: str, where) -> list[Any]:
        if name not in t:
            return []
        found[name] = list(q(select(t[name]).where(where).order_by(*t[name].primary_key)))
        return found[name]

    take("districts", t["districts"].c.id == school.district_id)
    take("schools", t["schools"].c.id == school.id)
    take("users", t["users"].c.school_id == school.id)
    plans = take(
        "plans",
        (t["plans"].c.district_id == school.district_id) & (t["plans"].c.status == "published"),
    )
    plan_ids = {p.id for p in plans}
    take("plan_sections", _in(t["plan_sections"].c.plan_id, plan_ids))
    items = take("plan_items", _in(t["plan_items"].c.plan_id, plan_ids))
    take("plan_item_dues", _in(t["plan_item_dues"].c.plan_item_id, {i.id for i in items}))
    for name in ("school_roadmaps", "roadmap_items", "evidence", "campaign_targets"):
        take(name, t[name].c.school_id == school.id)
    if "blobs" in t:
        digests = {e.sha256 for e in found["evidence"] if e.sha256}
        take("blobs", _in(t["blobs"].c.sha256, digests))
    campaigns = take(
        "campaigns", _in(t["campaigns"].c.id, {x.campaign_id for x in found["campaign_targets"]})
    )
    versions = take(
        "form_versions", _in(t["form_versions"].c.id, {c.version_id for c in campaigns})
    )
    take("form_templates", _in(t["form_templates"].c.id, {v.template_id for v in versions}))
    for name in ("submissions", "versions", "review_events", "changes", "notifications"):
        take(name, t[name].c.school_id == school.id)
    return {name: found[name] for name in TABLES if name in found}


def _drop_absent_users(tbl, data: dict[str, Any], user_ids: set[int]) -> None:
    # District staff stay on the district: their names are kept in the rows' *_name
    # columns, their ids would point at nobody on the copy.
    for column in tbl.columns:
        for fk in column.foreign_keys:
            if fk.column.table.name == "users" and data.get(column.name) not in user_ids:
                data[column.name] = None


@dataclass
class Enrolment:
    data: bytes
    node_id: str
    records: int


def build_enrolment(actor, school: School, label: str = "") -> Enrolment:
    """The enrolment file for one more PC of ``school``; registers that PC as a node."""
    from intranet.settings import is_school_copy
    from sync import downstream, nodes
    from sync.models import SyncNode

    if is_school_copy():
        raise Refused(_("Enrolment is done on the district server."))
    if not (actor is None or (actor.is_district_admin and actor.district_id == school.district_id)):
        raise Refused(_("Only the district administrator can enrol a school's copy."))
    district = db.session.get(District, school.district_id)
    private = keys.district_key()
    with writing(actor):
        node_id, token = nodes.register_pending(school, label)
        position = downstream.refresh(school)
        # The copy starts with everything up to here: the feed resumes after it.
        db.session.get(SyncNode, node_id).acked_position = position
        records: list[dict[str, Any]] = []
        attachments: dict[str, bytes] = {}
        found = school_rows(school)
        user_ids = {u.id for u in found.get("users", [])}
        for name, found_rows in found.items():
            tbl = rows.table(name)
            for row in found_rows:
                data = rows.dump(tbl, row, attachments)
                _drop_absent_users(tbl, data, user_ids)
                records.append({"kind": "row", "table": name, "row": data})
        manifest = {
            "direction": "enrol",
            "district": district.uuid,
            "district_name": district.name,
            "school": school.code,
            "school_name": school.name,
            "node": node_id,
            "seq_from": 0,
            "seq_to": position,
            "district_public_key": keys.public_text(private),
            "enrol_token": token,
            "created_at": utcnow().isoformat(),
        }
        data = write_bundle(manifest, records, attachments, private)
        db.session.commit()
    return Enrolment(data, node_id, len(records))


# -- on the school's PC ------------------------------------------------------------------


@dataclass
class Initialised:
    school_code: str
    school_name: str
    node_id: str
    users: list[str]
    fingerprint: str


def read_enrolment(data: bytes):
    """The enrolment bundle, checked. It names the district key that signed it: whoever
    carries the file vouches for it (compare the fingerprint with the district's)."""

    def key_for(manifest: dict[str, Any]):
        if manifest.get("direction") != "enrol":
            raise BundleRefused(_("This is not an enrolment file."))
        try:
            return keys.load_public(str(manifest.get("district_public_key") or ""))
        except ValueError:
            raise BundleRefused(_("The enrolment file has no valid district key.")) from None

    return read_bundle(data, key_for)


def fingerprint(public_text: str) -> str:
    from sync.bundle import sha256

    digest = sha256(public_text.encode("ascii"))[:16]
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


def init_copy(data: bytes) -> Initialised:
    """Create this PC's copy from an enrolment file: schema, rows, the node's key pair."""
    from intranet.database import upgrade_database
    from intranet.schoolcopy import district_data
    from sync import nodes

    bundle = read_enrolment(data)
    manifest = bundle.manifest
    upgrade_database()
    if db.session.scalar(select(School.id).limit(1)) is not None:
        raise Refused(
            _(
                "This database already holds data: a copy is made in an empty database "
                "(a new instance folder)."
            )
        )
    inserted = []
    by_table: dict[str, list[dict[str, Any]]] = {}
    for record in bundle.records:
        if record.get("kind") != "row" or record.get("table") not in TABLES:
            raise BundleRefused(_("The enrolment file holds an unknown record."))
        by_table.setdefault(record["table"], []).append(record["row"])
    with district_data():
        conn = db.session.connection()
        for name in TABLES:
            if name not in by_table or name not in db.metadata.tables:
                continue
            tbl = rows.table(name)
            values = [rows.load(tbl, r, bundle.attachments) for r in by_table[name]]
            conn.execute(tbl.insert(), values)
            inserted.append(tbl)
        if "changes" in db.metadata.tables:
            # The history as the district has it: nothing of it is this copy's to send.
            changes = rows.table("changes")
            conn.execute(update(changes).values(sync_state="confirmed"))
        rows.reset_sequences(conn, inserted)
        school = db.session.scalar(select(School).where(School.code == manifest["school"]))
        if school is None:
            raise BundleRefused(_("The enrolment file does not hold its school."))
        local = nodes.init_local(
            school.id,
            manifest["node"],
            manifest["district_public_key"],
            manifest.get("enrol_token", ""),
        )
        local.feed_position = int(manifest.get("seq_to") or 0)
    keys.node_key()  # this PC's own key pair, made here and never leaving it
    _remember_school_mode()
    db.session.commit()
    from intranet.auth.models import User

    logins = list(db.session.scalars(select(User.login).order_by(User.login)))
    return Initialised(
        manifest["school"],
        manifest.get("school_name", ""),
        manifest["node"],
        logins,
        fingerprint(manifest["district_public_key"]),
    )


def _remember_school_mode() -> None:
    """Write ``MODE = "school"`` into the instance's config.py, so every later command and
    the server of this folder run as the school's copy without setting anything."""
    current_app.config["MODE"] = "school"
    path = Path(current_app.instance_path) / "config.py"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if "MODE" not in text:
        line = (
            '# Written by "intranet sync init": this folder is a school\'s copy.\nMODE = "school"\n'
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + ("\n" if text and not text.endswith("\n") else "") + line)


def enrolment_filename(school: School) -> str:
    return f"enrol-{school.code}-{utcnow():%Y%m%d-%H%M}.zip"


# -- commands -----------------------------------------------------------------------------


def _register_commands() -> None:
    import click

    from sync.cli import _fail, _school_by_code, _write, sync_cli

    @sync_cli.command("enrol")
    @click.option("--school", "school_code", required=True, help="The school's code.")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
    @click.option("--name", "label", default="", help="Which PC it is (for the node list).")
    def enrol_command(school_code: str, out: str, label: str) -> None:
        """District: write an enrolment file for one PC of a school."""
        school = _school_by_code(school_code)
        try:
            made = build_enrolment(None, school, label)
        except (Refused, BundleRefused) as exc:
            _fail(str(exc))
        _write(out, made.data)
        click.echo(
            _(
                "Enrolment file written: %(path)s (school %(code)s, node %(node)s, %(records)s records).",
                path=out,
                code=school.code,
                node=made.node_id,
                records=made.records,
            )
        )
        click.echo(
            _(
                "District key fingerprint: %(fp)s",
                fp=fingerprint(keys.public_text(keys.district_key())),
            )
        )

    @sync_cli.command("init")
    @click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
    @click.option("--district", "district_url", help="The district server's address (with --code).")
    @click.option("--code", "code", help="The one-time enrolment code from the district.")
    @click.option("--name", "label", default="", help="Which PC it is (for the node list).")
    def init_command(
        path: str | None, district_url: str | None, code: str | None, label: str
    ) -> None:
        """School PC: create this copy from the district's enrolment file, or over the
        network with a one-time code (--district URL --code CODE)."""
        if path and (district_url or code):
            _fail(_("Give either the enrolment file or --district and --code, not both."))
        if not path and not (district_url and code):
            _fail(_("Give the enrolment file, or --district URL and --code CODE."))
        try:
            if path:
                done = init_copy(Path(path).read_bytes())
            else:
                from sync.client import SyncError, enrol_by_code

                try:
                    done = enrol_by_code(district_url, code, label)
                except SyncError as exc:
                    _fail(str(exc))
        except (Refused, BundleRefused) as exc:
            db.session.rollback()
            _fail(str(exc))
        click.echo(
            _(
                "The copy of %(school)s is ready (node %(node)s). Log in with the same logins "
                "and passwords as on the district server: %(logins)s.",
                school=done.school_name or done.school_code,
                node=done.node_id,
                logins=", ".join(done.users) or "—",
            )
        )
        click.echo(_("District key fingerprint: %(fp)s", fp=done.fingerprint))


_register_commands()
