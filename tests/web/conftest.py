"""Browser fixtures: the demo served by uvicorn on a free local port, and Debian's Chromium.

Playwright drives the system Chromium (``/usr/bin/chromium``); it never downloads a browser.
Screenshots of every page go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tradeguard.api.demo_site import DEMO_USERS, DemoSite, build_demo, demo_settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORDS = {name: f"pw-{name}-web" for name, _, _ in DEMO_USERS}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    directory = tmp_path_factory.mktemp("webdemo")
    return build_demo(directory, entries=100, seed=5, passwords=PASSWORDS,
                      settings=demo_settings(directory, environment="test"))


@pytest.fixture(scope="session")
def base_url(site: DemoSite) -> Iterator[str]:
    """The demo app served over HTTP in a background thread."""
    import uvicorn

    from tradeguard.api import ApiConfig, create_app

    app = create_app(demo_settings(site.directory, environment="test"),
                     config=ApiConfig(model_dir=site.model_dir, rate_per_second=200,
                                      rate_burst=400))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):  # .ci/run installs it: a silent skip would prove nothing
            raise RuntimeError("Chromium is required in CI at /usr/bin/chromium")
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def shot() -> Any:
    """``shot(page, name)`` saves a full-page screenshot under test-artifacts/web/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
