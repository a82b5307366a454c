"""Ed25519 keys: the district's pair and each node's pair live in an instance folder.

The private key is generated once, written with mode 600 and never leaves that folder;
the other side keeps only the public key, as text (base64 of its 32 raw bytes).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

DISTRICT_KEY = "sync_district_key"
NODE_KEY = "sync_node_key"


def generate() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_public(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_pem(data: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 key")
    return key


def instance_key(name: str, folder: str | Path | None = None) -> Ed25519PrivateKey:
    """The key pair kept in the instance folder under ``name``, generated on first use.

    O_EXCL makes two processes starting at once agree on one key: the loser reads the
    winner's file instead of overwriting it.
    """
    path = Path(folder or current_app.instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = generate()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(private_pem(key))
            return key
    return load_private_pem(path.read_bytes())


def district_key() -> Ed25519PrivateKey:
    return instance_key(DISTRICT_KEY)


def node_key() -> Ed25519PrivateKey:
    return instance_key(NODE_KEY)
