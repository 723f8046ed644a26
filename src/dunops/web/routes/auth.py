"""Sign-in pages: providers (OIDC, GitHub), email links, the first-owner setup, identity linking, sign-out.

Anonymous forms carry a double-submit token (a random cookie echoed in a hidden field; SameSite=Lax keeps
it off cross-site posts); signed-in forms carry the session's CSRF token. Every refusal is an HTML page
with a readable message and the status the error tree gives it.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dunops.accounts import identities, magic_links, signin
from dunops.accounts.identities import OutcomeKind
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import DunopsError, InvalidInput, NotAuthenticated, PermissionDenied, RateLimited
from dunops.security.tokens import new_secret, same
from dunops.storage.models import User, WebSession
from dunops.web.deps import DB, SESSION_COOKIE, ReadDB, browser_session, client_address, settings_of
from dunops.web.problems import status_for
from dunops.web.routing import api_router

router = api_router(include_in_schema=False)

STATE_COOKIE = "dunops_signin"
FORM_COOKIE = "dunops_form"
_STATE_COOKIE_PATH = "/auth"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``web/templates`` (autoescaped); ``context`` adds to the defaults every page uses."""
    settings = settings_of(request)
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request,
        template,
        {"providers": settings.oidc_providers, **context},
        status_code=status_code,
    )
    return response


def error_page(request: Request, error: DunopsError, **context: Any) -> HTMLResponse:
    response = render(
        request,
        "message.html",
        status_for(error),
        title=error.title,
        message=error.detail,
        problems=error.problems,
        **context,
    )
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _cookie(response: Response, settings: Settings, name: str, value: str, **options: Any) -> None:
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=settings.secure_cookies, **options)


def form_page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page with an anonymous form: reuses or sets the double-submit cookie."""
    token = request.cookies.get(FORM_COOKIE) or new_secret(24)
    response = render(request, template, status_code, form_token=token, **context)
    if request.cookies.get(FORM_COOKIE) != token:
        _cookie(response, settings_of(request), FORM_COOKIE, token, path="/")
    return response


def check_form_token(request: Request, presented: str) -> None:
    expected = request.cookies.get(FORM_COOKIE, "")
    if not expected or not presented or not same(expected, presented):
        raise PermissionDenied(
            "this form expired or was sent from another site; reload the page and try again"
        )


def signed_in_record(request: Request, db: Session) -> tuple[WebSession, Principal] | None:
    record = browser_session(request, db)
    if record is None:
        return None
    user = db.get(User, record.user_id)
    if user is None:
        return None
    return record, Principal(user=user, client_address=client_address(request))


def check_csrf(record: WebSession, presented: str) -> None:
    if not presented or not same(presented, record.csrf_token):
        raise PermissionDenied("missing or wrong CSRF token; reload the page and try again")


@cache
def _tls_context() -> ssl.SSLContext:
    """Built once: loading the CA bundle for every sign-in would cost more than the sign-in itself."""
    return httpx.create_ssl_context()


@contextmanager
def _http(request: Request) -> Iterator[httpx.Client]:
    """The client for talking to sign-in providers; tests inject a transport via ``app.state``."""
    transport: httpx.BaseTransport | None = getattr(request.app.state, "signin_transport", None)
    timeout = settings_of(request).oidc_timeout_seconds
    with httpx.Client(transport=transport, timeout=timeout, verify=_tls_context()) as client:
        yield client


def _redirect_uri(settings: Settings, provider_name: str) -> str:
    return f"{settings.public_url}/auth/{provider_name}/callback"


def _signed_in(request: Request, db: Session, user: User, *, method: str, next_path: str) -> Response:
    settings = settings_of(request)
    issued = signin.open_session(
        db,
        settings,
        user,
        method=method,
        presented_cookie=request.cookies.get(SESSION_COOKIE, ""),
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    response = RedirectResponse(signin.safe_next_path(next_path), status_code=303)
    _cookie(
        response,
        settings,
        SESSION_COOKIE,
        issued.cookie_value,
        path="/",
        max_age=int(settings.session_absolute_days * 86400),
    )
    return response


def _sign_in_form(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The sign-in page; in development without an SMTP server it says where the mail goes."""
    settings = settings_of(request)
    outbox_hint = settings.environment == "development" and not settings.smtp_host
    return form_page(request, "sign_in.html", status_code, outbox_hint=outbox_hint, **context)


def _with_next(path: str, next_path: str) -> str:
    """``path`` carrying where to go afterwards, unless that is the home page."""
    return path if next_path == "/" else f"{path}?next={quote(next_path, safe='/')}"


@router.get("/sign-in")
def sign_in_page(request: Request, db: ReadDB, next: str = "/") -> Response:
    if signed_in_record(request, db) is not None:
        return RedirectResponse(signin.safe_next_path(next), status_code=303)
    return _sign_in_form(request, next_path=signin.safe_next_path(next))


@router.get("/auth/{provider_name}/start")
def start(request: Request, db: DB, provider_name: str, next: str = "/") -> Response:
    settings = settings_of(request)
    try:
        with _http(request) as http:
            authorization = signin.begin(
                db,
                settings,
                http,
                provider_name,
                redirect_uri=_redirect_uri(settings, provider_name),
                next_path=next,
            )
    except DunopsError as exc:
        return error_page(request, exc)
    response = RedirectResponse(authorization.url, status_code=303)
    _cookie(
        response,
        settings,
        STATE_COOKIE,
        authorization.state,
        path=_STATE_COOKIE_PATH,
        max_age=signin.LOGIN_ATTEMPT_MINUTES * 60,
    )
    return response


@router.get("/auth/{provider_name}/callback")
def callback(
    request: Request, db: DB, provider_name: str, state: str = "", code: str = "", error: str = ""
) -> Response:
    settings = settings_of(request)
    response: Response
    try:
        attempt = signin.take_attempt(
            db, settings, provider_name, state=state, browser_state=request.cookies.get(STATE_COOKIE, "")
        )
        # The attempt is used up whatever happens next, and no lock is held while the provider answers.
        db.commit()
        with _http(request) as http:
            outcome = signin.complete(
                db,
                settings,
                http,
                attempt,
                redirect_uri=_redirect_uri(settings, provider_name),
                code=code,
                error=error,
            )
        if outcome.kind == OutcomeKind.LINK_PENDING:
            link_page_path = _with_next(f"/auth/link/{outcome.link_token}", attempt.next_path)
            response = RedirectResponse(link_page_path, status_code=303)
        else:
            response = _signed_in(
                request, db, outcome.user, method=provider_name, next_path=attempt.next_path
            )
    except DunopsError as exc:
        response = error_page(request, exc)
    response.delete_cookie(STATE_COOKIE, path=_STATE_COOKIE_PATH)
    return response


@router.post("/auth/magic")
def request_magic_link(
    request: Request,
    db: DB,
    email: Annotated[str, Form()] = "",
    form_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    next_path = signin.safe_next_path(next)
    try:
        check_form_token(request, form_token)
        magic_links.request_sign_in(
            db, settings_of(request), email, client_address=client_address(request), next_path=next_path
        )
    except InvalidInput as exc:
        return _sign_in_form(request, 422, email=email, problems=exc.problems, next_path=next_path)
    except DunopsError as exc:
        return error_page(request, exc)
    minutes = settings_of(request).magic_link_minutes
    return _sign_in_form(
        request,
        next_path=next_path,
        notice=(
            f"If an account exists for {email.strip()}, a sign-in link is on its way. "
            f"It works once and expires in {minutes} minutes."
        ),
    )


@router.get("/auth/magic/{token}")
def magic_link_page(request: Request, db: ReadDB, token: str) -> Response:
    try:
        magic_links.check_sign_in(db, token)
    except DunopsError as exc:
        return error_page(request, exc)
    return form_page(request, "magic_confirm.html", token=token)


@router.post("/auth/magic/{token}")
def magic_link_sign_in(
    request: Request, db: DB, token: str, form_token: Annotated[str, Form()] = ""
) -> Response:
    try:
        check_form_token(request, form_token)
        used = magic_links.consume_sign_in(db, token)
        return _signed_in(request, db, used.user, method="magic_link", next_path=used.next_path)
    except DunopsError as exc:
        return error_page(request, exc)


@router.get("/auth/first-owner/{token}")
def first_owner_page(request: Request, db: ReadDB, token: str) -> Response:
    try:
        magic_links.check_first_owner(db, token)
    except DunopsError as exc:
        return error_page(request, exc)
    return render(request, "first_owner.html", token=token, values={}, problems=())


@router.post("/auth/first-owner/{token}")
def first_owner_setup(
    request: Request,
    db: DB,
    token: str,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    workspace_name: Annotated[str, Form()] = "",
) -> Response:
    values = {"email": email, "name": name, "workspace_name": workspace_name}
    try:
        created = magic_links.complete_first_owner(
            db, token, email=email, name=name, workspace_name=workspace_name
        )
        return _signed_in(request, db, created.user, method="first_owner", next_path="/")
    except InvalidInput as exc:
        return render(request, "first_owner.html", 422, token=token, values=values, problems=exc.problems)
    except DunopsError as exc:
        return error_page(request, exc)


@router.get("/auth/link/{token}")
def link_page(request: Request, db: ReadDB, token: str, next: str = "/") -> Response:
    try:
        link = identities.pending(db, token)
    except DunopsError as exc:
        return error_page(request, exc)
    current = signed_in_record(request, db)
    if current is not None and current[1].user.id != link.user_id:
        return error_page(
            request,
            PermissionDenied("this link request is for another account; sign out and sign in to that one"),
            csrf_token=current[0].csrf_token,
        )
    settings = settings_of(request)
    return render(
        request,
        "link.html",
        link=link,
        provider_label=_label(settings, link.provider),
        token=token,
        signed_in=current is not None,
        csrf_token=current[0].csrf_token if current else "",
        other_providers=[p for p in settings.oidc_providers if p.name != link.provider],
        next_path=_with_next(f"/auth/link/{token}", signin.safe_next_path(next)),
        return_path=signin.safe_next_path(next),
    )


@router.post("/auth/link/{token}")
def link_confirm(
    request: Request,
    db: DB,
    token: str,
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        current = signed_in_record(request, db)
        if current is None:
            raise NotAuthenticated("sign in to your existing account first, then confirm the link")
        check_csrf(current[0], csrf_token)
        identity = identities.confirm(db, current[1], token)
    except DunopsError as exc:
        return error_page(request, exc)
    label = _label(settings_of(request), identity.provider)
    return render(
        request,
        "message.html",
        title="Sign-in method added",
        message=f"You can now sign in with {label} as well.",
        csrf_token=current[0].csrf_token,
        home_link=True,
        continue_path=signin.safe_next_path(next),
    )


def _label(settings: Settings, provider_name: str) -> str:
    for configured in settings.oidc_providers:
        if configured.name == provider_name:
            return configured.display_name
    return provider_name


@router.post("/auth/sign-out")
def sign_out(request: Request, db: DB, csrf_token: Annotated[str, Form()] = "") -> Response:
    return _sign_out(request, db, csrf_token, everywhere=False)


@router.post("/auth/sign-out-everywhere")
def sign_out_everywhere(request: Request, db: DB, csrf_token: Annotated[str, Form()] = "") -> Response:
    return _sign_out(request, db, csrf_token, everywhere=True)


def _sign_out(request: Request, db: Session, csrf_token: str, *, everywhere: bool) -> Response:
    current = signed_in_record(request, db)
    if current is not None:
        record, principal = current
        try:
            check_csrf(record, csrf_token)
        except DunopsError as exc:
            return error_page(request, exc, csrf_token=record.csrf_token)
        if everywhere:
            signin.close_all_sessions(db, principal)
        else:
            signin.close_session(db, principal, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
