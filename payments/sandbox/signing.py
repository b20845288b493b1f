"""The cryptography of WeChat Pay API v3, from WeChat's side of the wire.

- requests: ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,signature=..,
  timestamp=..,serial_no=..`` over ``METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n``, verified
  with the merchant's public key;
- responses and notifications: ``Wechatpay-*`` headers, RSA-SHA256 over
  ``timestamp\\nnonce\\nbody\\n`` with the WeChat Pay public-key's private half;
- notification resources: AES-256-GCM with the APIv3 key.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256

from .state import random_token

SCHEME = "WECHATPAY2-SHA256-RSA2048"
# WeChat rejects requests whose timestamp is off by more than five minutes.
MAX_SKEW_SECONDS = 300

_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    signature = key.sign(message.encode("utf-8"), padding.PKCS1v15(), SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(public_key: Any, message: str, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key.verify(signature, message.encode("utf-8"), padding.PKCS1v15(), SHA256())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def parse_authorization(header: str) -> dict[str, str] | None:
    scheme, _, params = header.partition(" ")
    if scheme != SCHEME:
        return None
    return dict(_AUTH_FIELD.findall(params))


def check_request_signature(
    fields: dict[str, str],
    public_key: Any,
    method: str,
    urls: list[str],
    body: str,
    now: float | None = None,
) -> str | None:
    """Return None if the signature holds for one of ``urls``, else the reason it fails.

    Several spellings of the URL are tried because the client signs the path as written
    while the HTTP stack may percent-encode it on the wire.
    """
    for name in ("mchid", "nonce_str", "signature", "timestamp", "serial_no"):
        if not fields.get(name):
            return f"Authorization 缺少 {name}"
    try:
        timestamp = int(fields["timestamp"])
    except ValueError:
        return "timestamp 格式错误"
    wall = time.time() if now is None else now
    if abs(wall - timestamp) > MAX_SKEW_SECONDS:
        return "请求的时间戳已过期"
    for url in urls:
        message = f"{method}\n{url}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
        if rsa_verify(public_key, message, fields["signature"]):
            return None
    return "签名错误，请检查签名串和签名方法"


def signature_headers(key: rsa.RSAPrivateKey, serial: str, body: str) -> dict[str, str]:
    """Headers WeChat puts on every response and notification (wall-clock timestamp)."""
    timestamp = str(int(time.time()))
    nonce = random_token(32)
    return {
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature": rsa_sign(key, f"{timestamp}\n{nonce}\n{body}\n"),
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature-Type": SCHEME,
    }


def encrypt_resource(apiv3_key: str, plaintext: dict[str, Any], associated_data: str) -> dict[str, str]:
    """The ``resource`` object of a notification, encrypted as wechatpayv3 expects."""
    # wechatpayv3 feeds the nonce string's UTF-8 bytes to AES-GCM: 12 ASCII chars = 96 bits.
    nonce = secrets.token_hex(6)
    data = json.dumps(plaintext, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ciphertext = AESGCM(apiv3_key.encode("utf-8")).encrypt(
        nonce.encode("ascii"), data, associated_data.encode("utf-8")
    )
    return {
        "original_type": associated_data,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
        "associated_data": associated_data,
        "nonce": nonce,
    }
