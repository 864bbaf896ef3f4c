"""A pinned HTTPS POST (`jobs.pinned_http`): the socket goes to the address given, while TLS
still names the host: SNI is the host's name and the certificate must be for that name."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jobs import pinned_http

HOST = "hooks.example.test"  # resolves nowhere: only the pinned address can be reached


def _certificate(tmp: Path, name: str) -> tuple[Path, Path]:
    """(certificate, key) files of a self-signed certificate for `name`."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / f"{name}.pem", tmp / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class Server:
    def __init__(self, cert: Path, key: Path) -> None:
        self.names: list[str | None] = []  # the SNI of each handshake
        self.hosts: list[str] = []  # the Host header of each POST
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.sni_callback = lambda _sock, name, _ctx: self.names.append(name)  # type: ignore[assignment,func-returns-value]
        seen = self.hosts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                seen.append(self.headers["Host"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.socket = context.wrap_socket(self.http.socket, server_side=True)
        self.port = self.http.server_port


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """An HTTPS server on 127.0.0.1 whose certificate is for HOST, and that certificate."""
    cert, key = _certificate(tmp_path, HOST)
    server = Server(cert, key)
    threading.Thread(target=server.http.serve_forever, daemon=True).start()
    try:
        yield server, cert
    finally:
        server.http.shutdown()
        server.http.server_close()


def test_the_pinned_address_is_reached_with_the_hosts_name_in_sni_host_and_certificate(serving) -> None:
    server, cert = serving

    answer = pinned_http.post(f"https://{HOST}:{server.port}/events", ["127.0.0.1"], data=b"{}",
                              headers={"Content-Type": "application/json"}, timeout=10, verify=str(cert))

    assert answer.status_code == 204
    assert server.names == [HOST]
    assert server.hosts == [f"{HOST}:{server.port}"]


def test_a_certificate_for_another_name_is_refused(serving, tmp_path) -> None:
    server, cert = serving
    with pytest.raises(requests.exceptions.SSLError):
        pinned_http.post(f"https://other.example.test:{server.port}/events", ["127.0.0.1"], data=b"{}",
                         headers={}, timeout=10, verify=str(cert))
    assert server.hosts == []
