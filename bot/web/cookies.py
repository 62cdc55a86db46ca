"""Signed cookies: the staff session and the login form's token. Both HttpOnly and SameSite;
Secure when the desk is served over HTTPS (`junxiu desk --https`, e.g. behind a proxy).

The CSRF token is a random nonce inside the signed cookie; every form carries it in a hidden
`csrf_token` field, and a POST whose field does not match the cookie is refused with 403.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

SESSION = "junxiu_desk"
LOGIN = "junxiu_desk_login"
LOGIN_MAX_AGE = 3600  # a login form left open longer is reloaded


@dataclass(frozen=True)
class Session:
    user_id: int
    version: int  # Staff.session_version when it was issued
    csrf: str


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def load_secret(configured: str | None, path: Path) -> str:
    """The signing key: configured (JUNXIU_DESK_SECRET), else made once and kept in a file
    only its owner reads, so sessions survive a restart."""
    if configured:
        return configured
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(secret, encoding="utf-8")
    return secret


class Cookies:
    def __init__(self, secret: str, *, secure: bool, session_seconds: int) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="junxiu-desk-session")
        self._login = URLSafeTimedSerializer(secret, salt="junxiu-desk-login")
        self.secure = secure
        self.session_seconds = session_seconds

    def _set(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                            samesite="lax", secure=self.secure)

    # -- the session -------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        raw = request.cookies.get(SESSION)
        if not raw:
            return None
        try:
            data = self._session.loads(raw, max_age=self.session_seconds)
            return Session(int(data["u"]), int(data["v"]), str(data["c"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def start_session(self, response: Response, user_id: int, version: int) -> None:
        value = self._session.dumps({"u": user_id, "v": version, "c": new_nonce()})
        self._set(response, SESSION, value, self.session_seconds)
        response.delete_cookie(LOGIN, path="/")

    def end_session(self, response: Response) -> None:
        response.delete_cookie(SESSION, path="/", httponly=True, samesite="lax",
                               secure=self.secure)

    # -- the login form ----------------------------------------------------------------

    def login_state(self, request: Request) -> tuple[str, str] | None:
        """(csrf nonce, where to go after login) from the login cookie, if valid."""
        raw = request.cookies.get(LOGIN)
        if not raw:
            return None
        try:
            data = self._login.loads(raw, max_age=LOGIN_MAX_AGE)
            return str(data["c"]), safe_next(str(data.get("n") or "/"))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def start_login(self, response: Response, nonce: str, next_path: str = "/") -> None:
        value = self._login.dumps({"c": nonce, "n": safe_next(next_path)})
        self._set(response, LOGIN, value, LOGIN_MAX_AGE)


def safe_next(path: str) -> str:
    """Only a path on this desk: never `//host` or `https://…` (an open redirect)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path or path == "/login":
        return "/"
    return path


def same_token(expected: str | None, given: object) -> bool:
    return bool(expected) and isinstance(given, str) and bool(given) and \
        hmac.compare_digest(expected.encode(), given.encode())
