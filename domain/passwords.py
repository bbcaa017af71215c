"""Passwords: the rules a new one must meet, and hashing with scrypt (standard library;
memory-hard, RFC 7914).

A stored hash carries its own parameters (``scrypt$n$r$p$salt$hash``), so hashes made at an
older cost keep verifying; ``needs_rehash`` tells the sign-in to store the password again at
the current cost (``Accounts.rehash_password``, event ``Account.PasswordRehashed``).

The strength estimate itself (zxcvbn) is not in the domain, which imports only the standard
library: the composition root gives ``Accounts`` a ``StrengthCheck``
(``ejournal/password_strength.py``); the rules that need no dictionary are here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence

from domain import errors

#: The production cost: n=2**17, r=8, p=1 — 128 MiB of memory per hash (OWASP's minimum
#: for scrypt). ``SCRYPT_N`` is what new hashes use; the test suite lowers it for speed
#: (tests/conftest.py) and a test asserts that ``PRODUCTION_N`` stays the default.
PRODUCTION_N = 2**17
SCRYPT_N = PRODUCTION_N
_R, _P = 8, 1
#: The largest cost a stored hash may ask for (1 GiB): a hash asking more is refused.
_MAX_N = 2**20
MIN_LENGTH = 12
#: A login or a part of a name shorter than this is not looked for in the password.
_MIN_PART = 3

#: Estimates a password's strength knowing the account's own words (login, name and its
#: transliteration); returns a Russian reason («это распространённый пароль») when it is too
#: easy to guess, None when it is strong enough.
StrengthCheck = Callable[[str, Sequence[str]], str | None]

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a,b,v,g,d,e,e,zh,z,i,y,k,l,m,n,o,p,r,s,t,u,f,kh,ts,ch,sh,shch,,y,,e,yu,ya".split(","),  # noqa: SIM905
        strict=True,
    )
)


def _maxmem(n: int, r: int, p: int) -> int:
    """The memory scrypt needs (OpenSSL's own estimate: 128·r·(n + p + 2)) and 1 MiB."""
    return 128 * r * (n + p + 2) + 2**20


def transliterate(text: str) -> str:
    """``Петрова`` → ``petrova``: a name as it may be typed on a Latin keyboard."""
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def check_password(
    password: str,
    login: str,
    names: Sequence[str] = (),
    strength: StrengthCheck | None = None,
) -> None:
    """Raise ``WeakPassword`` naming what is wrong: shorter than ``MIN_LENGTH``, contains
    the login or a part of the person's name (also transliterated), or too easy to guess
    (``strength``). The name is personal data: it stays in memory and in no message."""
    if len(password) < MIN_LENGTH:
        raise errors.WeakPassword(f"Пароль слишком короткий: нужно не менее {MIN_LENGTH} символов.")
    lowered = password.lower()
    if len(login) >= _MIN_PART and login.lower() in lowered:
        raise errors.WeakPassword("Пароль слишком простой: в нём есть логин.")
    words = [w.strip().lower() for w in names if w and w.strip()]
    forms = {form for w in words for form in (w, transliterate(w))}
    if any(len(form) >= _MIN_PART and form in lowered for form in forms):
        raise errors.WeakPassword("Пароль слишком простой: в нём есть фамилия, имя или отчество.")
    if strength is not None:
        reason = strength(password, [login, *sorted(forms)])
        if reason:
            raise errors.WeakPassword(f"Пароль слишком простой: {reason}.")


def hash_password(password: str) -> str:
    """Return ``scrypt$n$r$p$salt$hash`` for ``password`` at the current cost."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=SCRYPT_N,
        r=_R,
        p=_P,
        dklen=32,
        maxmem=_maxmem(SCRYPT_N, _R, _P),
    )
    enc = base64.b64encode
    return f"scrypt${SCRYPT_N}${_R}${_P}${enc(salt).decode()}${enc(digest).decode()}"


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with other parameters than new hashes use."""
    try:
        scheme, n, r, p, _salt, _digest = stored.split("$")
        return scheme != "scrypt" or (int(n), int(r), int(p)) != (SCRYPT_N, _R, _P)
    except ValueError:
        return True


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the ``stored`` hash (constant-time comparison), at
    whatever cost the hash was made."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or int(n) > _MAX_N:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=_maxmem(int(n), int(r), int(p)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
