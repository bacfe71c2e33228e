"""A headless Chromium (Debian's `chromium`) for screenshots: Home Assistant logged in, or any page on loopback.

Driven over the Chrome DevTools Protocol with aiohttp alone. It logs in the way the frontend remembers a
login: the tokens of HA's own login flow go into the page's `localStorage` as `hassTokens`.
"""

import asyncio
import base64
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from .homeassistant import Tokens
from .processes import Process, until

# Everything a headless browser on a machine without internet must not try (the e2e tier runs offline).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
]
# The text of the page, through every shadow root (Home Assistant's UI is web components all the way down).
VISIBLE_TEXT = """(() => {
  const out = [];
  const walk = (node) => {
    if (node.nodeName === "STYLE" || node.nodeName === "SCRIPT") return;
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) { const t = child.textContent.trim(); if (t) out.push(t); }
      else walk(child);
    }
  };
  walk(document);
  return out.join("\\n");
})()"""


# Resolves once the page's running animations that end have ended (a gauge's needle, a card fading in) and two frames
# have been painted since.
AT_REST = """Promise.all(
  document.getAnimations()
    .filter((a) => a.playState === "running" && a.effect && a.effect.getComputedTiming().endTime !== Infinity)
    .map((a) => a.finished.catch(() => null))
).then(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true)))))"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _Page:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._id = 0

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        await self.ws.send_json({"id": self._id, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), 30)
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    async def peek(self, expression: str) -> Any:
        """`evaluate` for polling: None while the page is between two documents (the frontend redirects)."""
        try:
            return await self.evaluate(expression)
        except RuntimeError as err:
            if "navigated or closed" in str(err):
                return None
            raise

    async def goto(self, url: str, timeout: float) -> None:
        await self.send("Page.navigate", url=url)
        await until(f"{url} to load", lambda: self.peek("document.readyState"), lambda s: s == "complete", timeout)


async def screenshot(ha_url: str, tokens: Tokens, path: str, png: Path, expect: list[str], timeout: float = 90) -> str:
    """Open Home Assistant's `path` logged in, wait until every text of `expect` shows (bounded), save a PNG;
    returns the page's visible text."""
    stored = {
        "hassUrl": ha_url,
        "clientId": f"{ha_url}/",
        "access_token": tokens.access,
        "refresh_token": tokens.refresh,
        "token_type": "Bearer",
        "expires_in": 1800,
        "expires": int(time.time() * 1000) + 1_800_000,
    }
    # Before any script of the page runs, on every document of Home Assistant's origin: setting it after a load
    # would race the frontend's redirect to its login page.
    login = f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(stored))})"
    before = f"if (location.origin === {json.dumps(ha_url)}) {{ {login}; }}"
    return await capture(f"{ha_url}{path}", png, expect, timeout, before_scripts=before)


async def capture(
    url: str,
    png: Path,
    expect: list[str],
    timeout: float = 90,
    *,
    before_scripts: str | None = None,
    window: tuple[int, int] = (1280, 1400),
) -> str:
    """Open `url`, wait until every text of `expect` shows (bounded), save a PNG of the window; returns the
    page's visible text. `before_scripts` runs on every new document before the page's own scripts."""
    browser = chromium()
    if browser is None:
        raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium)")
    profile = Path(tempfile.mkdtemp(prefix="ha-chromium-"))
    width, height = window
    # In a process group of its own: a Chromium that does not stop in time is killed with its helpers.
    process = Process(
        "chromium",
        [browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
        profile / "chromium.log",
    )
    try:
        port = await _devtools_port(profile)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as answer:
                target = next(t for t in await answer.json() if t["type"] == "page")
            async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = _Page(ws)
                await page.send("Page.enable")  # without it Chromium keeps a script for new documents but never runs it
                if before_scripts is not None:
                    await page.send("Page.addScriptToEvaluateOnNewDocument", source=before_scripts)
                await page.goto(url, timeout)
                text = await _until_shown(page, expect, timeout)
                shot = await page.send("Page.captureScreenshot", format="png")
                await asyncio.to_thread(_save, png, base64.b64decode(shot["data"]))
                return text
    finally:
        process.stop(10)
        shutil.rmtree(profile, ignore_errors=True)


async def _devtools_port(profile: Path, timeout: float = 30) -> int:
    marker = profile / "DevToolsActivePort"

    async def written() -> str:
        return marker.read_text() if marker.exists() else ""

    text = await until("chromium's DevTools port", written, lambda t: bool(t.strip()), timeout, every=0.1)
    return int(text.splitlines()[0])


async def _until_shown(page: _Page, expect: list[str], timeout: float) -> str:
    async def shown() -> str:
        return await page.peek(VISIBLE_TEXT) or ""

    text = await until(f"the page to show {expect}", shown, lambda t: all(w in t for w in expect), timeout, every=0.5)
    await page.evaluate(AT_REST)  # the cards drawn, for the picture
    return await page.peek(VISIBLE_TEXT) or text


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
