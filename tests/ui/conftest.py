"""Fixtures for the web UI tests: a store filled by real fits, ``autolog ui`` as a real subprocess,
and a headless Chromium driven through Selenium (Debian's ``chromium`` and ``chromium-driver``).

Set ``AUTOLOG_UI_SCREENSHOTS=docs/ui`` to save a screenshot of each page there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1400,1000",
)


def fill_store(directory: str, *, trainer: bool) -> dict[str, str]:
    """Run ``fill_store.py`` in a subprocess; the run ids it logged, by role."""
    command = [sys.executable, os.path.join(HERE, "fill_store.py"), directory] + (["--trainer"] if trainer else [])
    env = {**os.environ, "AUTOLOG_TESTING": "1"}
    env.pop("AUTOLOG_DIR", None)
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


class UIProcess:
    """``autolog ui`` running in a subprocess on a free port."""

    def __init__(self, directory: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autolog.cli", "ui", "--dir", directory, "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if " at " not in line:
            self.process.kill()
            raise RuntimeError(f"autolog ui did not start: {line!r} {self.process.stderr.read()!r}")  # type: ignore[union-attr]
        self.url = line.split(" at ", 1)[1].split()[0].rstrip("/")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        """GET ``path``: (status, body, headers), 4xx and 5xx included."""
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)

    def json(self, path: str) -> tuple[int, Any]:
        status, body, _ = self.get(path)
        return status, json.loads(body)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()


@pytest.fixture(scope="session")
def ui_store(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """A store with sklearn runs (a fit, a grid search with 5 children), a hand-logged run with
    artifacts, and a tiny Trainer run: (directory, run ids by role)."""
    directory = str(tmp_path_factory.mktemp("ui-store"))
    return directory, fill_store(directory, trainer=True)


@pytest.fixture(scope="session")
def ui(ui_store) -> Iterator[UIProcess]:
    server = UIProcess(ui_store[0])
    yield server
    server.stop()


@pytest.fixture
def start_ui() -> Iterator[Callable[[str], UIProcess]]:
    """Start more servers (over other directories) for one test."""
    started: list[UIProcess] = []

    def start(directory: str) -> UIProcess:
        started.append(UIProcess(directory))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium; the browser tests skip (saying why) when none is installed."""
    found = _chromium()
    if found is None:
        pytest.skip("no Chromium: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (it is in the dev extra)")
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="autolog-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = found[0]
    driver = webdriver.Chrome(options=options, service=Service(found[1]))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(browser) -> Callable[[str], None]:
    """Save the page as ``$AUTOLOG_UI_SCREENSHOTS/<name>.png`` when that variable is set."""

    def save(name: str) -> None:
        folder = os.environ.get("AUTOLOG_UI_SCREENSHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            browser.execute_script("window.scrollTo(0, 0)")
            browser.save_screenshot(os.path.join(folder, f"{name}.png"))

    return save
