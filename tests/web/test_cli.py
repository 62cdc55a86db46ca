"""`junxiu desk` as a command: it serves /login on the configured database and port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "JUNXIU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/j.sqlite3"}
    junxiu = str(Path(sys.executable).with_name("junxiu"))
    proc = subprocess.Popen([junxiu, "desk", "--host", "127.0.0.1", "--port", str(port),
                             *extra], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/login", timeout=1)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(proc.communicate()[0].decode(errors="replace"))


def test_junxiu_desk_serves_the_login_page(tmp_path: Path) -> None:
    proc, base = _serve(tmp_path)
    try:
        assert httpx.get(f"{base}/").headers["location"] == "/login"
        page = httpx.get(f"{base}/login")
        assert page.status_code == 200 and 'name="user"' in page.text
        assert "Secure" not in page.headers["set-cookie"]
    finally:
        proc.terminate()
        proc.wait(10)


def test_with_https_the_cookies_are_secure(tmp_path: Path) -> None:
    proc, base = _serve(tmp_path, "--https")
    try:
        assert "Secure" in httpx.get(f"{base}/login").headers["set-cookie"]
    finally:
        proc.terminate()
        proc.wait(10)
