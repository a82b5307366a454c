"""Rows of any table as JSON and back, for the enrolment file and the district's feed.

Dates and times travel as ISO text, binary columns as attachments named by their SHA-256
(so a file is carried once, whatever rows name it). The reader converts by the column's
type, so a row reads back exactly as it was written, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, LargeBinary, Table
from sqlalchemy.engine import Connection


def table(name: str) -> Table:
    from intranet.extensions import db

    return db.metadata.tables[name]


def dump(tbl: Table, row: Any, attachments: dict[str, bytes]) -> dict[str, Any]:
    """One row (a Row or mapping) as JSON; binary values go to ``attachments``."""
    values = row._mapping if hasattr(row, "_mapping") else row
    out: dict[str, Any] = {}
    for column in tbl.columns:
        value = values[column.name]
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
            digest = hashlib.sha256(data).hexdigest()
            attachments[digest] = data
            value = {"$sha256": digest}
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        out[column.name] = value
    return out


def load(tbl: Table, data: dict[str, Any], attachments: dict[str, bytes]) -> dict[str, Any]:
    """The row as the database takes it; unknown keys (a newer district's columns) are left
    out, missing ones take their defaults."""
    out: dict[str, Any] = {}
    for column in tbl.columns:
        if column.name not in data:
            continue
        value = data[column.name]
        if value is not None:
            if isinstance(column.type, LargeBinary) and isinstance(value, dict):
                value = attachments[value["$sha256"]]
            elif isinstance(column.type, DateTime) and isinstance(value, str):
                value = datetime.fromisoformat(value)
            elif isinstance(column.type, Date) and isinstance(value, str):
                value = date.fromisoformat(value)
        out[column.name] = value
    return out


def reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """After rows were inserted with their ids, PostgreSQL's sequences must move past them
    (SQLite takes the largest id + 1 by itself)."""
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for tbl in tables:
        pk = list(tbl.primary_key.columns)
        if len(pk) != 1 or not pk[0].autoincrement or pk[0].type.python_type is not int:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{tbl.name}', '{pk[0].name}'), "
                f"COALESCE((SELECT MAX({pk[0].name}) FROM {tbl.name}), 0) + 1, false)"
            )
        )
