"""Encrypt small secrets at rest (channel credentials) with Fernet and RAPPORT_ENCRYPTION_KEY.

The setting holds one or more Fernet keys separated by commas. The first key
encrypts; any of them decrypts, so a key is rotated by putting a new key first,
keeping the old one after it until every secret has been saved again.

Without a key, nothing that needs one works: storing or reading a secret raises
ImproperlyConfigured with what to do. Installations whose channels hold no
secrets (web forms, review feeds) run without one.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret that no configured key can decrypt (the key was changed or lost)."""


def generate_key() -> str:
    """Return a new random Fernet key (what RAPPORT_ENCRYPTION_KEY holds)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@lru_cache(maxsize=4)
def _cipher(configured: str) -> MultiFernet:
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "RAPPORT_ENCRYPTION_KEY is not set, so channel credentials cannot be stored or read. "
            "Set it to a Fernet key (python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())') and keep it safe: without it the stored "
            "credentials are lost."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "RAPPORT_ENCRYPTION_KEY must be one or more Fernet keys (32 url-safe base64-encoded "
            "bytes), separated by commas."
        ) from None


def _current() -> MultiFernet:
    return _cipher(str(getattr(settings, "RAPPORT_ENCRYPTION_KEY", "") or ""))


def encrypt(plaintext: str) -> str:
    """Return `plaintext` encrypted and authenticated with the first configured key."""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plaintext of `token`, or raise SecretUnreadable."""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with RAPPORT_ENCRYPTION_KEY "
            "(was the key changed?)."
        ) from None


def encrypt_json(values: Mapping[str, str]) -> str:
    """Encrypt a small mapping of secrets; an empty mapping is stored as the empty string."""
    if not values:
        return ""
    return encrypt(json.dumps(dict(values), sort_keys=True, separators=(",", ":")))


def decrypt_json(token: str) -> dict[str, str]:
    """Return the mapping `encrypt_json` stored; the empty string is an empty mapping."""
    if not token:
        return {}
    decoded = json.loads(decrypt(token))
    return {str(k): str(v) for k, v in decoded.items()}


def rotate(token: str) -> str:
    """Re-encrypt `token` with the first configured key (after a key was added in front)."""
    return _current().rotate(token.encode()).decode() if token else ""
