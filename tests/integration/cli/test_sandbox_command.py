"""`milepost sandbox serve`: the sandbox started from the product's own command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from connector.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _read_banner(stream) -> str:
    """The banner's lines up to the first Xero organisation, the last section it prints."""
    lines: list[str] = []
    while not (lines and lines[-1].startswith("  organisation ")):
        line = stream.readline()
        assert line, "the banner ended before listing a Xero organisation: " + "".join(lines)
        lines.append(line)
    return "".join(lines)


def test_milepost_lists_the_sandbox_command():
    assert "sandbox" in build_parser().format_help()


def test_sandbox_serve_prints_its_urls_serves_info_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "sandbox", "serve", "--port", str(port),
         "--auto-consent"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == f"Milepost sandbox at {base}"
        banner = _read_banner(process.stdout)
        info = requests.get(f"{base}/_sandbox/info", timeout=10).json()

        assert info["quickbooks"]["api_base"] == f"{base}/v3"
        assert info["quickbooks"]["api_base"] in banner
        assert info["xero"]["api_base"] in banner
        assert info["xero"]["token_url"] in banner
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
