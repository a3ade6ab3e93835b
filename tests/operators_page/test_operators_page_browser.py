"""The operators' page in a real Airflow API server, seen by a real browser.

`airflow api-server` runs on a free local port with the project's plugins folder and the simple
auth manager (admin/admin). An anonymous browser is sent to Airflow's login; a token from
POST /auth/token opens the page; headless Chromium, given that token as the UI's cookie through
the DevTools protocol, takes a screenshot into test-artifacts/operators_page.png.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from tests.operators_page.test_operators_page import HS, YZ, _today, build_city

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOT = ARTIFACTS / "operators_page.png"
STARTUP_LIMIT_S = 240  # how long the server or the browser may take to come up on a busy machine

pytestmark = pytest.mark.slow


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process we started, and the children it started (its own process group)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture
def api_server(airflow_db, settings, tmp_path):
    """`airflow api-server` over the tests' migrated Airflow home, serving the page over `settings`."""
    build_city(settings, _today(settings))
    port = _free_port()
    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps({"admin": "admin"}))
    env = os.environ.copy() | {
        "AIRFLOW_HOME": str(airflow_db),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "GRASSROOTS_HOME": str(settings.home),
    }
    log = tmp_path / "api-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"airflow api-server exited with {proc.returncode}:\n{_tail(log)}")
            try:
                if httpx.get(f"{base}/api/v2/monitor/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"airflow api-server did not come up:\n{_tail(log)}")
            time.sleep(1)
        yield base
    finally:
        _stop(proc)


def _token(base: str) -> str:
    response = httpx.post(f"{base}/auth/token", json={"username": "admin", "password": "admin"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["access_token"]


def test_the_page_in_airflow_refuses_strangers_and_shows_operators_the_districts(api_server, tmp_path):
    base = api_server
    anonymous = httpx.get(f"{base}/grassroots/", headers={"Accept": "text/html"}, timeout=30)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/auth/login?next=")
    assert httpx.get(f"{base}/grassroots/api/figures", timeout=30).status_code == 401
    wrong = httpx.post(f"{base}/auth/token", json={"username": "admin", "password": "wrong"}, timeout=30)
    assert wrong.status_code == 401

    token = _token(base)
    auth = {"Authorization": f"Bearer {token}"}
    page = httpx.get(f"{base}/grassroots/", headers=auth, timeout=60)
    assert page.status_code == 200
    assert HS in page.text and YZ in page.text and "海曙区问题清单错误版.xlsx" in page.text
    # linked from the Airflow UI's navigation
    plugins = httpx.get(f"{base}/api/v2/plugins", headers=auth, timeout=30).json()["plugins"]
    ours = next(p for p in plugins if p["name"] == "grassroots_operators")
    assert ours["external_views"][0]["name"] == "基层走访"
    assert ours["external_views"][0]["href"] == "/grassroots/"
    assert ours["fastapi_apps"][0]["url_prefix"] == "/grassroots"

    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium not found (apt-get install -y chromium): no screenshot taken")
    shown = _screenshot(chromium, f"{base}/grassroots/", token, base, tmp_path)
    assert "各区县最近提交" in shown and HS in shown and "需要登录" not in shown
    assert SCREENSHOT.stat().st_size > 10_000


# --- the browser, driven through the Chrome DevTools protocol -------------------------------

class DevTools:
    """Just enough of the DevTools protocol: commands, and waiting for one event."""

    def __init__(self, socket_url: str):
        from websockets.sync.client import connect

        self._ws = connect(socket_url, max_size=None, open_timeout=60)
        self._next = 0
        self._events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self._next += 1
        self._ws.send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=STARTUP_LIMIT_S))
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def wait_for(self, event: str) -> dict:
        while True:
            for i, message in enumerate(self._events):
                if message.get("method") == event:
                    return self._events.pop(i)
            self._events.append(json.loads(self._ws.recv(timeout=STARTUP_LIMIT_S)))

    def close(self) -> None:
        self._ws.close()


def _screenshot(chromium: str, url: str, token: str, base: str, tmp_path: Path) -> str:
    """Open `url` in headless Chromium logged in with `token` (the UI's cookie), save the
    screenshot, and return the page's visible text."""
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    log = tmp_path / "chromium.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             "--window-size=1400,1800", "about:blank"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while not (active.exists() and active.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chromium did not start:\n{_tail(log)}")
            time.sleep(0.2)
        port = active.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as response:
            page = next(t for t in json.load(response) if t["type"] == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        try:
            tools.call("Network.enable")
            tools.call("Network.setCookie", name="_token", value=token, url=base + "/", path="/")
            tools.call("Page.enable")
            tools.call("Emulation.setDeviceMetricsOverride", width=1400, height=1800, deviceScaleFactor=1,
                       mobile=False)
            tools.call("Page.navigate", url=url)
            tools.wait_for("Page.loadEventFired")
            text = tools.call("Runtime.evaluate", expression="document.body.innerText",
                              returnByValue=True)["result"]["value"]
            shot = tools.call("Page.captureScreenshot", format="png")["data"]
        finally:
            tools.close()
        ARTIFACTS.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(base64.b64decode(shot))
        return text
    finally:
        _stop(proc)
