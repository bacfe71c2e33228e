"""The token is a credential: TLS is verified and it never follows a redirect to another host."""

import shutil
import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from ampeco_ev_charger.ampeco import AmpecoClient, Transport
from ampeco_ev_charger.ampeco.errors import ServerError, TransportError
from simulator import Fault, Simulator, demo_model, running

TOKEN = "credential-7b2e"


async def serve(app: web.Application, ssl_context: ssl.SSLContext | None = None) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate no one vouches for, and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


async def test_a_certificate_that_does_not_verify_is_refused(self_signed: tuple[Path, Path]):
    cert, key = self_signed
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"data": []})

    app = web.Application()
    app.router.add_get("/api/v1/app/personal/charge-points", handler)
    runner, port = await serve(app, context)
    try:
        async with aiohttp.ClientSession() as session:
            client = AmpecoClient(Transport(session, f"https://127.0.0.1:{port}", timeout=5), TOKEN)
            with pytest.raises(TransportError, match="TLS certificate did not verify"):
                await client.charge_points()
    finally:
        await runner.cleanup()
    assert seen == []


async def test_a_redirect_to_another_host_never_carries_the_token():
    received: list[str] = []

    async def elsewhere(request: web.Request) -> web.Response:
        received.append(request.headers.get("Authorization", ""))
        return web.json_response({"data": []})

    other = web.Application()
    other.router.add_get("/{tail:.*}", elsewhere)
    other_runner, other_port = await serve(other)
    simulator = Simulator(demo_model(TOKEN))
    try:
        async with running(simulator) as url, aiohttp.ClientSession() as session:
            client = AmpecoClient(Transport(session, url, timeout=5), TOKEN)
            simulator.faults.add(
                Fault(
                    "replay",
                    count=1,
                    status=302,
                    body={},
                    headers={"Location": f"http://localhost:{other_port}/api/v1/steal"},
                )
            )
            with pytest.raises(ServerError, match=r"redirected to another host \(localhost:\d+\); check api_host"):
                await client.charge_points()
            simulator.faults.add(
                Fault(
                    "replay", count=1, status=301, body={}, headers={"Location": "/api/v1/app/personal/charge-points"}
                )
            )
            assert list((await client.charge_points()).readings) == ["ACE0549935", "QNG0C18010"]
    finally:
        await other_runner.cleanup()
    assert received == []
