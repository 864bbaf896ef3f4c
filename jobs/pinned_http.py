"""An HTTP(S) POST that connects to the addresses its caller checked, not to whatever the name
resolves to a moment later.

Checking a webhook URL's host and then letting requests resolve it again leaves a gap: a
hostile DNS server can answer a public address to the check and a private one to the
connection (DNS rebinding), and the POST reaches the inside. So the host is resolved once
(`resolve`), the caller checks those addresses, and `post` connects only to them. Everything
else still names the host: the URL is left alone and only the socket's connect is pointed at
the checked address, so the Host header, TLS SNI and certificate verification are urllib3's
own, for the name.

No proxy from the environment (`trust_env` off): through a proxy, the proxy would resolve the
name, and the address checked would not be the one reached.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to for a TCP connection on `port`, in the resolver's
    order, each once (OSError when it resolves to none)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in found))


class _Pinned(HTTPConnection):
    """A connection whose socket goes to one of `addresses` (IP literals), tried in turn."""

    addresses: tuple[str, ...] = ()

    def _new_conn(self) -> socket.socket:
        failure: OSError | None = None
        for address in self.addresses:
            try:  # an IP literal: connecting resolves nothing
                return connection.create_connection((address, self.port), self.timeout,
                                                    source_address=self.source_address,
                                                    socket_options=self.socket_options)
            except TimeoutError as error:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out. "
                                                f"(connect timeout={self.timeout})") from error
            except OSError as error:
                failure = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {failure}")


class _PinnedAdapter(HTTPAdapter):
    def __init__(self, addresses: Sequence[str]) -> None:
        self._addresses = tuple(addresses)  # before HTTPAdapter.__init__ makes the pool manager
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        pinned = {"addresses": self._addresses}
        http = type("PinnedHTTPConnection", (_Pinned,), pinned)
        https = type("PinnedHTTPSConnection", (_Pinned, HTTPSConnection), pinned)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("PinnedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("PinnedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


def post(url: str, addresses: Sequence[str], *, data: bytes, headers: Mapping[str, str],
         timeout: float, verify: bool | str = True) -> requests.Response:
    """POST `data` to `url`, connecting only to `addresses`; redirects are not followed.
    `verify`: requests' own (a CA bundle's path instead of the default one)."""
    if not addresses:
        raise requests.ConnectionError(f"no address to connect to for {url[:100]}")
    with requests.Session() as session:
        session.trust_env = False
        adapter = _PinnedAdapter(addresses)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session.post(url, data=data, headers=dict(headers), timeout=timeout, allow_redirects=False,
                            verify=verify)
