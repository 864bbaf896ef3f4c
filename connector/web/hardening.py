"""Response headers every page carries, and no caching of pages that hold credentials.

The pages use no inline script or style (one stylesheet from /static), so the policy allows
only this site's own files; `frame-ancestors 'none'` keeps the admin and the portal out of
other sites' frames (with X-Frame-Options for older browsers). The portal URL is the
approver's credential and the admin pages show portal links, so nothing is cached
(`no-store`) and no Referer leaves the site. HSTS is sent only on a request that came over
https (behind a proxy: gunicorn's `forwarded_allow_ips` makes the scheme known).
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if not request.path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def install(app: Flask) -> None:
    app.after_request(security_headers)
