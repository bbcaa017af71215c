"""Who may open which page: every route names one permission of ``policies/access.toml``
(or is public), and the roles and scopes come from that file, not from code.

A role holds a permission for "all" records or only its "own" (see
``projections.queries.scope``): when the scope is "own", every record id in the URL
(course journal, class, pupil, lesson, account) must be the user's own, or the answer is 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Flask, abort, current_app, g
from flask_login import current_user, login_required

from projections.queries.scope import KINDS

PUBLIC = "public"


class UndeclaredPermission(Exception):
    """Raised when the app is built while a route names a permission that
    ``policies/access.toml`` lacks (every such page would answer 500)."""


def check_declared(app: Flask, declared: Iterable[str], also: Iterable[str] = ()) -> None:
    """Raise ``UndeclaredPermission`` (one line) naming each permission the app's routes —
    and ``also``, the codes the pages ask for themselves — use but ``declared`` lacks."""
    known = set(declared)
    used: dict[str, list[str]] = {}
    for endpoint, view in sorted(app.view_functions.items()):
        code = getattr(view, "permission", None)
        if code is not None and code != PUBLIC and code not in known:
            used.setdefault(code, []).append(endpoint)
    for code in also:
        if code not in known:
            used.setdefault(code, [])
    if used:
        listed = "; ".join(
            f"'{code}' (routes: {', '.join(endpoints) or 'the header'})"
            for code, endpoints in sorted(used.items())
        )
        raise UndeclaredPermission(
            f"access.toml lacks permissions the web UI uses: {listed}; "
            'add each as [permissions."…"] to policies/access.toml'
        )


def _policy() -> Any:
    return current_app.extensions["services"].policies.access


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a route as open to everyone (sign-in page, start page, health check)."""
    view.permission = PUBLIC  # type: ignore[attr-defined]  # a mark on the function
    return view


def own_roles(code: str) -> list[str]:
    """The current user's roles that hold ``code`` only for their own records."""
    scopes = _policy().permission(code).scopes
    return [r for r in current_user.roles if scopes.get(r) == "own"]


def scope(code: str) -> str | None:
    """The current user's widest scope under ``code``: "all", "own" or None."""
    if not current_user.is_authenticated:
        return None
    found: str | None = _policy().permission(code).scope_of(current_user.roles)
    return found


def reaches(code: str, **ids: Any) -> bool:
    """True when the current user holds ``code`` for every record named in ``ids``."""
    found = scope(code)
    if found is None:
        return False
    if found == "all":
        return True
    reads = current_app.extensions["services"].reads
    roles = own_roles(code)
    for name, value in ids.items():
        kind = KINDS.get(name)
        if kind is None or value is None:
            continue
        if kind in _LISTED:  # the same list serves every check of the request
            if str(value) not in _owned_in_request(roles, kind):
                return False
            continue
        if not reads.scope.owns(current_user.id, current_user.person_id, roles, kind, str(value)):
            return False
    return True


#: Kinds whose owned records are a list read once a request (a lesson is looked up by
#: itself: a substitute reaches a lesson of a journal not theirs; an account is the user's).
_LISTED = frozenset({"course", "group", "student"})


def _owned_in_request(roles: list[str], kind: str) -> frozenset[str]:
    """Records of ``kind`` that ``roles`` of the current user reach, read once per request
    (a page checks the same journal for viewing and for entering)."""
    memo: dict[tuple[tuple[str, ...], str], frozenset[str]] = g.setdefault("owned_memo", {})
    key = (tuple(sorted(roles)), kind)
    found = memo.get(key)
    if found is None:
        reads = current_app.extensions["services"].reads
        found = memo[key] = reads.scope.owned(current_user.id, current_user.person_id, roles, kind)
    return found


def owned(code: str, kind: str) -> frozenset[str] | None:
    """Records of ``kind`` the current user reaches under ``code`` (None means all)."""
    found = scope(code)
    if found == "all":
        return None
    if found is None:
        return frozenset()
    reads = current_app.extensions["services"].reads
    result: frozenset[str] = reads.scope.owned(
        current_user.id, current_user.person_id, own_roles(code), kind
    )
    return result


def permission(code: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Sign-in required; then 403 unless the user holds ``code`` for every record id in
    the URL."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required  # type: ignore[untyped-decorator]  # flask-login ships no types
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not reaches(code, **kwargs):
                abort(403)
            return view(*args, **kwargs)

        guarded.permission = code  # type: ignore[attr-defined]  # a mark on the function
        return guarded

    return decorate
