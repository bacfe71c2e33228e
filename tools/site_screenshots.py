"""Pictures of the documentation site for its own developer pages: the home page and a page of the guide.

    make docs && .venv/bin/python tools/site_screenshots.py     (or name another built site: ... SITE_DIR)

Serves build/site on 127.0.0.1 and takes each picture with headless Chromium (demo/browser.py), once the page
shows the text it is known by. Writes docs/site-home.png and docs/site-guide.png.
"""

import argparse
import asyncio
import functools
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "build" / "site"
sys.path[:0] = [str(REPO / "apps"), str(REPO)]

from demo import browser  # noqa: E402

# (page, picture, texts the page must show first)
SHOTS = [
    ("", REPO / "docs" / "site-home.png", ["Supported vendors", "Where to start"]),
    ("guide/getting-started/", REPO / "docs" / "site-guide.png", ["Check the connection", "User guide"]),
]
WINDOW = (1280, 900)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No line per request."""


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """`folder` over HTTP on a free loopback port, for as long as the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", nargs="?", type=Path, default=SITE, help="the built site (default: build/site)")
    site = parser.parse_args().site
    if not (site / "index.html").exists():
        raise SystemExit(f"no site in {site}: run `make docs` first")
    with served(site) as url:
        for page, png, expect in SHOTS:
            await browser.capture(url + page, png, expect, timeout=60, window=WINDOW)
            print(f"{png.relative_to(REPO)} <- {url}{page}")


if __name__ == "__main__":
    asyncio.run(main())
