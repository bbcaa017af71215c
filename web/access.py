"""Who may open which page: one decorator, roles checked on the signed-in account.

(The full role × route policy from ``policies/access.toml`` comes with the UI issue.)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required


def requires(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Sign-in required; then 403 unless the user holds one of ``roles``."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required  # type: ignore[misc]
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_any(*roles):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate
