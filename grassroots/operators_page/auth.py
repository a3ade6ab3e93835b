"""The operators' page asks for the same login as the Airflow UI.

A plugin's FastAPI app is mounted into the API server unprotected, so every route depends on
`require_login`: it takes the caller's identity exactly as Airflow's own routes do (the Bearer
token, else the UI's JWT cookie, checked by the auth manager) and requires the right to see the
Airflow website. A browser that is not logged in is sent to Airflow's login page and comes back
afterwards; a client of the JSON routes gets 401.
"""

from __future__ import annotations

from typing import Annotated

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import bearer_scheme, get_user
from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials

API_PREFIX = "/api/"


class LoginRequired(Exception):
    """No valid token or cookie came with the request."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def require_login(request: Request, bearer: BearerDep) -> BaseUser:
    try:
        user = await get_user(request, _oauth_token=None, bearer_credentials=bearer)
    except HTTPException as exc:
        if exc.status_code in (status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN):
            raise LoginRequired(str(exc.detail)) from exc
        raise
    if not get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "没有访问基层走访页面的权限")
    return user


def wants_json(request: Request) -> bool:
    """JSON routes (under /api/) and clients that do not accept HTML get 401, browsers a redirect."""
    relative = request.url.path.removeprefix(request.scope.get("root_path", "").rstrip("/"))
    accept = request.headers.get("accept", "")
    return relative.startswith(API_PREFIX) or ("text/html" not in accept and "*/*" not in accept and bool(accept))


async def on_login_required(request: Request, exc: LoginRequired):
    if wants_json(request):
        return JSONResponse({"detail": f"需要登录 Airflow（{exc.detail}）"}, status_code=status.HTTP_401_UNAUTHORIZED,
                            headers={"WWW-Authenticate": "Bearer"})
    login = get_auth_manager().get_url_login(next_url=str(request.url))
    return RedirectResponse(login, status_code=status.HTTP_303_SEE_OTHER)
