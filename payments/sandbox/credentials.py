"""Fresh, throw-away credentials shared by the sandbox and the app pointed at it.

Every call makes new RSA keys: nothing here is a secret worth keeping, and nothing is
hard-coded, so a leaked demo key can never be mistaken for a real merchant's.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class SandboxCredentials:
    """What WeChat would hand a merchant, plus the one key only WeChat holds.

    ``wechatpay_private_key_pem`` is the private half of the "WeChat Pay public key"; the
    sandbox signs responses and notifications with it. The app side never gets it.
    """

    appid: str
    app_secret: str
    mchid: str
    merchant_private_key_pem: str
    merchant_public_key_pem: str
    merchant_cert_serial: str
    apiv3_key: str
    wechatpay_private_key_pem: str
    wechatpay_public_key_pem: str
    wechatpay_public_key_id: str

    def to_env(self) -> dict[str, str]:
        """Environment variables for the app side (PEMs inline)."""
        return {
            "YECAI_WECHAT_APPID": self.appid,
            "YECAI_WECHAT_SECRET": self.app_secret,
            "YECAI_WECHATPAY_MCHID": self.mchid,
            "YECAI_WECHATPAY_PRIVATE_KEY": self.merchant_private_key_pem,
            "YECAI_WECHATPAY_CERT_SERIAL": self.merchant_cert_serial,
            "YECAI_WECHATPAY_APIV3_KEY": self.apiv3_key,
            "YECAI_WECHATPAY_PUBLIC_KEY": self.wechatpay_public_key_pem,
            "YECAI_WECHATPAY_PUBLIC_KEY_ID": self.wechatpay_public_key_id,
        }


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    # PKCS#8 ("BEGIN PRIVATE KEY") is what WeChat's apiclient_key.pem uses and what
    # wechatpayv3's format_private_key expects.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _digits(n: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(n))


def generate_credentials() -> SandboxCredentials:
    merchant_key = new_rsa_key()
    wechatpay_key = new_rsa_key()
    alphabet = string.ascii_letters + string.digits
    return SandboxCredentials(
        appid="wx" + secrets.token_hex(8),
        app_secret=secrets.token_hex(16),
        # Real merchant ids are 10 digits and never start with 0.
        mchid=secrets.choice("123456789") + _digits(9),
        merchant_private_key_pem=private_pem(merchant_key),
        merchant_public_key_pem=public_pem(merchant_key),
        merchant_cert_serial=secrets.token_hex(20).upper(),
        apiv3_key="".join(secrets.choice(alphabet) for _ in range(32)),
        wechatpay_private_key_pem=private_pem(wechatpay_key),
        wechatpay_public_key_pem=public_pem(wechatpay_key),
        wechatpay_public_key_id="PUB_KEY_ID_01" + _digits(30),
    )
