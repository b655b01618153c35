"""Class codes and instructor keys: a short code to read off a projector, a long secret key.

A code is 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), drawn with
`secrets`: 31**6, about 887 million codes. A key is 32 URL-safe random characters; the store
keeps only its SHA-256 digest and compares digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0, O, 1, I, L: read aloud and off a wall
CODE_LENGTH = 6
KEY_BYTES = 24  # 32 characters of token_urlsafe
MAX_KEY_CHARS = 128  # a longer "key" is refused before it is hashed


def new_code() -> str:
    """A fresh class code, e.g. 'K7PQ2M'."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: object) -> str | None:
    """A code as typed or linked ('k7pq-2m ', 'K7PQ2M') in its stored form; None if it
    cannot be a code (wrong length, a letter outside the alphabet, not text)."""
    if not isinstance(raw, str):
        return None
    code = "".join(raw.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def new_key() -> str:
    """A fresh instructor key (shown once, in the instructor's link)."""
    return secrets.token_urlsafe(KEY_BYTES)


def key_digest(key: str) -> str:
    """What the store keeps of a key: its SHA-256, hex."""
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def key_matches(key: object, digest: str) -> bool:
    """Whether `key` is the one whose digest is `digest`, compared in constant time."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
        return False
    return hmac.compare_digest(key_digest(key), digest)
