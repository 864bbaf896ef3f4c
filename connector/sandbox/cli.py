"""``milepost sandbox serve``: the command-line door to the sandbox.

``connector/cli`` registers it with ``add_cli(subparsers)``; ``main`` also lets the sandbox
run on its own (``python -m connector.sandbox.cli serve``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def add_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``sandbox serve`` on an argparse subparsers object; returns the sandbox parser."""
    sandbox = subparsers.add_parser("sandbox", help="the local QuickBooks Online + Xero stand-in")
    commands = sandbox.add_subparsers(dest="sandbox_command", required=True, metavar="ACTION")
    serve = commands.add_parser("serve", help="run both services on one port")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765,
                       help="port to listen on (default: 8765; 0 picks a free one)")
    serve.add_argument("--state", metavar="FILE", default=None,
                       help="keep the books in FILE so a demo survives a restart")
    serve.add_argument("--auto-consent", action="store_true",
                       help="authorize endpoints redirect at once with a code (headless OAuth)")
    serve.add_argument("--latency-ms", type=float, default=0.0,
                       help="added to every answer, to mimic the real services")
    # `func(args)` for this module's own main; `handler(ctx, args)` for the milepost CLI
    serve.set_defaults(func=run_serve, handler=lambda ctx, args: run_serve(args))
    return sandbox


def run_serve(args: argparse.Namespace) -> int:
    from .app import serve

    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    serve(args.host, args.port, args.state, args.auto_consent, args.latency_ms)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="milepost")
    add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sandbox", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
