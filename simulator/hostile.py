"""Hostile answers: bodies no AMPECO server sends, but a broken proxy or someone on the path could.

A gzip bomb (about a megabyte that inflates to a gigabyte) is built once, streaming, and kept on disk; an
endless body streams until its size or until the client hangs up. Neither is ever held whole in memory.
"""

import asyncio
import gzip
import tempfile
import zlib
from pathlib import Path

from aiohttp import web

from .faults import Fault

HOSTILE = ("raw", "gzip_bomb", "endless")

_OPEN, _CLOSE = b'{"data":[', b"]}"
_CHUNK = 1 << 20


def raw_body(body: object, compress: bool) -> bytes:
    """`body` as sent: bytes as they are, anything else as its text; gzip-compressed if asked."""
    data = body if isinstance(body, bytes) else ("" if body is None else str(body)).encode()
    return gzip.compress(data) if compress else data


def gzip_bomb(size: int, folder: Path) -> bytes:
    """A gzip stream of a JSON object `size` bytes long once inflated (a list of charge points padded with
    spaces), built the first time and read from `folder` after that."""
    path = folder / f"bomb-{size}.json.gz"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip container
        padding, blank = size - len(_OPEN) - len(_CLOSE), b" " * _CHUNK
        partial = path.with_suffix(".part")
        with partial.open("wb") as out:
            out.write(packer.compress(_OPEN))
            while padding > 0:
                out.write(packer.compress(blank[: min(padding, _CHUNK)]))
                padding -= _CHUNK
            out.write(packer.compress(_CLOSE) + packer.flush())
        partial.replace(path)
    return path.read_bytes()


async def endless(request: web.Request, size: int) -> web.StreamResponse:
    """200 with a JSON list that never closes, streamed in chunks until `size` bytes or the client leaves."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(_OPEN)
    sent, blank = len(_OPEN), b" " * (64 * 1024)
    try:
        while sent < size:
            await response.write(blank)
            sent += len(blank)
    except (ConnectionError, RuntimeError):  # the client hung up: what it wanted to prove is done
        return response
    return response


async def hostile_answer(request: web.Request, fault: Fault) -> web.StreamResponse:
    """The answer of a `raw`, `gzip_bomb` or `endless` fault."""
    if fault.kind == "raw":
        headers = dict(fault.headers or {})
        content_type = headers.pop("Content-Type", "application/json")
        if fault.gzip:
            headers["Content-Encoding"] = "gzip"
        body = raw_body(fault.body, fault.gzip)
        return web.Response(body=body, status=fault.status, headers=headers, content_type=content_type)
    if fault.kind == "gzip_bomb":
        folder = Path(fault.cache) if fault.cache else Path(tempfile.gettempdir()) / "ampeco-simulator"
        body = await asyncio.to_thread(gzip_bomb, fault.size, folder)  # built once: seconds the first time
        return web.Response(body=body, headers={"Content-Encoding": "gzip"}, content_type="application/json")
    return await endless(request, fault.size)
