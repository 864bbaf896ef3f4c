"""The Xero stand-in: identity (OAuth 2 with PKCE, connections) and the accounting API.

`blueprint()` gives the Flask blueprints the sandbox app mounts, `XeroState` the books it
keeps, `xero_info` the `/_sandbox/info` section and `register_control` the bookkeeper actions
under `/_sandbox/xero/...`.
"""

from __future__ import annotations

from flask import Blueprint

from connector.sandbox.xero.books import XeroState
from connector.sandbox.xero.control import register_control, xero_info

__all__ = ["XeroState", "blueprint", "register_control", "xero_info"]


def blueprint() -> list[Blueprint]:
    from connector.sandbox.xero import identity, routes

    return [identity.blueprint(), routes.blueprint()]
