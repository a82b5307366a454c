"""Record kinds a bundle may carry, and who applies each.

``change`` (up) and ``receipt`` (down) are applied here; other helpers' kinds (the
district's downstream records, enrolment) register a handler with ``register``. A handler
runs inside the import's one transaction and must not commit.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STATUSES = ("applied", "skipped", "merged", "conflict", "quarantined")


@dataclass
class Context:
    school: Any
    node_id: str | None
    received_at: datetime
    manifest: dict[str, Any]
    attachments: dict[str, bytes] = field(default_factory=dict)
    bundle_id: str = ""


Handler = Callable[[dict[str, Any], Context], str]
_HANDLERS: dict[str, Handler] = {}
# Modules of other parts that register kinds when imported.
_PROVIDERS = ("sync.downstream", "sync.enrol", "sync.digest")
_loaded = False


def register(kind: str, handler: Handler) -> None:
    _HANDLERS[kind] = handler


def handler_for(kind: str) -> Handler | None:
    load_all()
    return _HANDLERS.get(kind)


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in _PROVIDERS:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
