"""OpenID Connect as Intuit and Xero serve it: a signing key, its JWKS, id_tokens, the person.

Both platforms sign id_tokens with RS256 and publish the public keys at the discovery
document's `jwks_uri`; a relying party checks the signature, `iss`, `aud`, `exp` and the
`nonce` it sent. The sandbox makes one RSA key per process (its `kid` names it) and signs with
it. `exp` and `iat` are wall-clock time, not the sandbox clock: the verifier (Authlib/joserfc
in Milepost, PyJWT inside intuit-oauth) checks them against its own clock.

Who is "signed in" at the platform is the sandbox's `people[service]`: an e-mail, whether it
is verified and a name, set with `SandboxControl.set_identity` (`/_sandbox/identity`) and put
back to the defaults by a reset. The id_token carries `email` and `email_verified` (Xero's
do; Intuit's carry them in userinfo, in its camelCase `emailVerified`, which the sandbox
also serves).
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

ID_TOKEN_SECONDS = 3600
DEFAULT_PEOPLE: dict[str, dict[str, Any]] = {
    "quickbooks": {"email": "admin@example.com", "email_verified": True,
                   "given_name": "Sandbox", "family_name": "Admin"},
    "xero": {"email": "admin@example.com", "email_verified": True,
             "given_name": "Sandbox", "family_name": "Admin"},
}

_lock = threading.Lock()
_key: RSAKey | None = None


def signing_key() -> RSAKey:
    global _key
    with _lock:
        if _key is None:
            kid = "sandbox-" + secrets.token_hex(6)
            _key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
        return _key


def jwks() -> dict[str, Any]:
    """The public half, as a JWK Set (what `jwks_uri` serves)."""
    return {"keys": [signing_key().as_dict(private=False)]}


def default_people() -> dict[str, dict[str, Any]]:
    return {service: dict(person) for service, person in DEFAULT_PEOPLE.items()}


def subject(service: str, email: str) -> str:
    """A stable `sub` per person and platform (the platforms' are opaque ids, never the e-mail)."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{service}:{email.lower()}"))


def id_token(*, issuer: str, audience: str | list[str], person: dict[str, Any], service: str,
             nonce: str | None, extra: dict[str, Any] | None = None) -> str:
    """A signed id_token for `person` (RS256, with email, email_verified, sub, aud, iss, nonce)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer, "aud": audience, "sub": subject(service, person["email"]),
        "iat": now, "auth_time": now, "exp": now + ID_TOKEN_SECONDS,
        "email": person["email"], "email_verified": bool(person.get("email_verified")),
        "given_name": person.get("given_name", ""), "family_name": person.get("family_name", ""),
        **(extra or {}),
    }
    if nonce:
        claims["nonce"] = nonce
    key = signing_key()
    return str(jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key))
