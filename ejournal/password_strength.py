"""How hard a new password is to guess, offline, with zxcvbn (Dropbox's estimator): its
dictionaries of common passwords, words and names, keyboard rows, repeats, sequences and
dates. A password whose score is below ``MIN_SCORE`` is refused with a Russian reason naming
what makes it easy (``domain.passwords.check_password`` adds «Пароль слишком простой: …»).

The domain imports only the standard library, so the composition root gives this check to
``journal.accounts.strength`` (``ejournal/bootstrap.py``). The account's own words (login,
name and its transliteration) are passed to zxcvbn as ``user_inputs``: they are held in
memory for the call and never logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zxcvbn import zxcvbn

#: zxcvbn's score 3: «safely unguessable» — about 10^8 guesses or more, which scrypt at
#: 2^17 makes years of one machine's work offline.
MIN_SCORE = 3
#: zxcvbn's time grows with the length; a longer tail adds no weakness it could find.
_CHECKED = 64

_REASONS = {
    "passwords": "распространённый пароль",
    "user_inputs": "логин или имя",
    "spatial": "ряд соседних клавиш",
    "repeat": "повтор символов",
    "sequence": "последовательность символов (как «abc» или «6543»)",
    "regex": "год",
    "date": "дата",
}
_WORD = "распространённое слово или имя"

# A Russian keyboard's letters at the keys of the Latin layout: «йцукен» is the «qwerty» row.
_LAYOUT = str.maketrans("йцукенгшщзхъфывапролджэячсмитьбю", "qwertyuiop[]asdfghjkl;'zxcvbnm,.")


def _reason(match: dict[str, Any]) -> str | None:
    pattern = match.get("pattern")
    if pattern == "dictionary":
        reason = _REASONS.get(str(match.get("dictionary_name")), _WORD)
        if match.get("l33t"):
            reason += " с заменой букв цифрами"
        if match.get("reversed"):
            reason += " задом наперёд"
        return reason
    return _REASONS.get(str(pattern))


def _estimate(password: str, user_inputs: Sequence[str]) -> dict[str, Any]:
    return dict(zxcvbn(password[:_CHECKED], user_inputs=list(user_inputs)))


def check(password: str, user_inputs: Sequence[str]) -> str | None:
    """None when ``password`` is strong enough; otherwise what makes it easy to guess, in
    Russian («распространённый пароль, последовательность символов (…)»)."""
    results = [_estimate(password, user_inputs)]
    on_latin_keys = password.lower().translate(_LAYOUT)
    if on_latin_keys != password.lower():
        results.append(_estimate(on_latin_keys, user_inputs))
    weakest = min(results, key=lambda r: float(r["guesses"]))
    if int(weakest["score"]) >= MIN_SCORE:
        return None
    reasons: list[str] = []
    for match in weakest["sequence"]:
        reason = _reason(match)
        if reason and reason not in reasons:
            reasons.append(reason)
    return ", ".join(reasons) or "его легко подобрать"
