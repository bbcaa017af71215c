"""Rate limits on sign-in and on the JSON API, counted in the product's database so that every
server process (``serve --processes N``) shares them (``projections.sessions.RateCounters``,
ADR 0012). Over a limit the answer is 429 with ``Retry-After`` and a Russian message.

- ``signin-address``: every sign-in attempt from one client address — 60 per 5 minutes;
- ``signin-login``: failed sign-ins of one login, from every address — 50 per 15 minutes;
- ``signin-client``: failed sign-ins of one login from one address — 5 per 15 minutes; at the
  limit that login is refused from that address (answered as a wrong password) until the
  window ends: per-client locking, so a flood locks out nobody but itself;
- ``api-address``: every API request from one client address — 600 per minute;
- ``api-account``: every API request of one account (its token) — 300 per minute.

``EJOURNAL_RATE_LIMITS`` overrides them: ``name=COUNT/SECONDS`` separated by commas.
"""

from __future__ import annotations

import hashlib
import logging

from flask import Flask, current_app, request
from flask_login import current_user
from werkzeug.exceptions import TooManyRequests

from projections.sessions import Limit, RateCounters
from web.errors import API_PREFIX

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Limit] = {
    "signin-address": Limit(60, 300),
    "signin-login": Limit(50, 900),
    "signin-client": Limit(5, 900),
    "api-address": Limit(600, 60),
    "api-account": Limit(300, 60),
}


def limits_from(overrides: tuple[tuple[str, int, int], ...]) -> dict[str, Limit]:
    """The defaults with ``(name, count, seconds)`` overrides; ValueError for a name that
    is not a limit."""
    found = dict(DEFAULTS)
    for name, count, seconds in overrides:
        if name not in DEFAULTS:
            raise ValueError(f"unknown rate limit {name!r} (known: {', '.join(DEFAULTS)})")
        found[name] = Limit(count, seconds)
    return found


def counters() -> RateCounters:
    counter: RateCounters = current_app.extensions["ejournal.counters"]
    return counter


def limit(name: str) -> Limit:
    found: Limit = current_app.extensions["ejournal.limits"][name]
    return found


def client_address() -> str:
    """The client's address as the server sees it (behind a reverse proxy, set waitress's
    ``trusted_proxy`` so that it is the browser's, not the proxy's)."""
    return request.remote_addr or "unknown"


def refuse(wait: int) -> TooManyRequests:
    """The 429 to raise: ``Retry-After`` in seconds."""
    return TooManyRequests(retry_after=max(1, wait))


def pseudonym(value: str) -> str:
    """A short digest of a login or an address for the log (never the value itself)."""
    secret = current_app.config["SECRET_KEY"]
    key = secret if isinstance(secret, bytes) else str(secret).encode()
    return hashlib.blake2s(value.encode(), key=key[:32], digest_size=6).hexdigest()


class SignIn:
    """The limits of one sign-in attempt: ``admit`` before the password is checked,
    then ``failed`` or ``succeeded``."""

    def __init__(self, login: str) -> None:
        self.login = login.strip().lower()
        self.address = client_address()
        self.pair = f"{self.login}\n{self.address}"

    def admit(self) -> bool:
        """Raise 429 when the address or the login is over its limit; False when this
        login is refused from this address for now (answered as a wrong password)."""
        wait = counters().hit([("signin-address", self.address, limit("signin-address"))])
        if wait is None:
            wait = counters().over("signin-login", self.login, limit("signin-login"))
        if wait is not None:
            log.warning("sign-in rate limit: client %s", pseudonym(self.address))
            raise refuse(wait)
        return counters().over("signin-client", self.pair, limit("signin-client")) is None

    def failed(self, counted: bool) -> None:
        """Count a failed sign-in (unless the pair was already refused) and log it."""
        if counted:
            counters().hit(
                [
                    ("signin-client", self.pair, limit("signin-client")),
                    ("signin-login", self.login, limit("signin-login")),
                ]
            )
        log.info(
            "sign-in refused: login %s, client %s",
            pseudonym(self.login),
            pseudonym(self.address),
        )

    def succeeded(self) -> None:
        """A successful sign-in clears this client's failures of this login."""
        counters().forget("signin-client", self.pair, limit("signin-client"))


def init_app(app: Flask, counter: RateCounters, limits: dict[str, Limit]) -> None:
    """Install the counters and the API's limit (every request, before its view)."""
    app.extensions["ejournal.counters"] = counter
    app.extensions["ejournal.limits"] = limits

    @app.before_request
    def api_rate_limit() -> None:
        if not request.path.startswith(API_PREFIX):
            return
        counts = [("api-address", client_address(), limit("api-address"))]
        if current_user.is_authenticated:  # the bearer token's account (web.auth)
            counts.append(("api-account", str(current_user.id), limit("api-account")))
        wait = counters().hit(counts)
        if wait is not None:
            raise refuse(wait)
