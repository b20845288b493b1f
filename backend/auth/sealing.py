"""Seal small server-side secrets (WeChat session_key) with the app's secret key.

Sealed values are safe in SQL logs and database dumps; only this process can open them. A new
YECAI_SECRET_KEY makes old seals unreadable, which for session_key only means "log in again".
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _key(secret_key: str) -> bytes:
    if not secret_key:
        raise RuntimeError("YECAI_SECRET_KEY is required to store WeChat session keys")
    return hashlib.sha256(b"yecai-seal-v1:" + secret_key.encode()).digest()


def seal(plaintext: str, secret_key: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(secret_key)).encrypt(nonce, plaintext.encode(), b"yecai")
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def open_sealed(value: str, secret_key: str) -> str:
    raw = base64.urlsafe_b64decode(value.removeprefix("v1:"))
    return AESGCM(_key(secret_key)).decrypt(raw[:12], raw[12:], b"yecai").decode()
