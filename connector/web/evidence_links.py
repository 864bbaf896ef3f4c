"""Signed, short-lived links to an evidence file, handed out by the portal page.

A portal link lasts PORTAL_LINK_DAYS and names a milestone; an evidence link names one file of
that milestone and the approver it was shown to, is signed with the app's secret under its own
salt (so a portal token is never an evidence token or the reverse) and expires after
EVIDENCE_LINK_MINUTES: a link copied out of a browser's history is soon useless. The file is
answered as an attachment with `Cache-Control: no-store`, so no proxy or browser cache keeps
a copy.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .security import LinkRefused

EVIDENCE_SALT = "milepost-evidence-link"
EVIDENCE_LINK_MINUTES = 30


def evidence_token(secret: str, key: str, seq: int, evidence_id: int, email: str) -> str:
    """The signed part of a download link for one stored file."""
    serializer = URLSafeTimedSerializer(secret, salt=EVIDENCE_SALT)
    return str(serializer.dumps({"k": key, "s": seq, "f": evidence_id, "e": email}))


def read_evidence_token(secret: str, token: str,
                        max_age_minutes: int = EVIDENCE_LINK_MINUTES) -> tuple[str, int, int, str]:
    """(project key, seq, evidence id, approver email), or LinkRefused (expired or altered)."""
    serializer = URLSafeTimedSerializer(secret, salt=EVIDENCE_SALT)
    try:
        data = serializer.loads(token, max_age=max_age_minutes * 60)
    except SignatureExpired:
        raise LinkRefused(expired=True) from None
    except BadSignature:
        raise LinkRefused(expired=False) from None
    try:
        return str(data["k"]), int(data["s"]), int(data["f"]), str(data["e"])
    except (KeyError, TypeError, ValueError):
        raise LinkRefused(expired=False) from None
