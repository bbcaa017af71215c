"""Hypothesis strategies and request builders of the bad-input fuzzing: random strings, huge
values (100 KB), unicode edge cases (NUL, lone surrogates, right-to-left marks, combining
characters, emoji), wrong types, duplicated and missing fields, multipart bodies with a part
that has no name. Bodies are encoded by hand, so that bytes a browser would never send
(invalid UTF-8 from lone surrogates, broken multipart headers) reach the app."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote_plus, urlsplit

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Examples per route; the reliability run keeps the default (all fuzzing ≤ 3 min on a loaded
#: 2-core machine), EJOURNAL_FUZZ_EXAMPLES raises it for a longer local run.
EXAMPLES = int(os.environ.get("EJOURNAL_FUZZ_EXAMPLES") or "20")

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure is reproducible
    database=None,
    suppress_health_check=list(HealthCheck),
)

#: The API's cases are cheap (no page to render): five times as many per route.
API_SETTINGS = settings(FUZZ_SETTINGS, max_examples=5 * EXAMPLES)

HUGE = 100_000
EDGE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: invalid UTF-8 once encoded
    "\udfff\ud800",
    "\u202eевтч\u202c",  # right-to-left override
    "\u200f\u200e\u200b\ufeff",  # direction marks, zero width space, BOM
    "е\u0301\u0301\u0301",  # combining accents
    "👩‍👩‍👧‍👦🏳️‍🌈",  # emoji with zero-width joiners
    "\U0010ffff",
    "<script>alert(1)</script>",
    "'; DROP TABLE stored_events; --",
    "../../etc/passwd",
    "\r\n\r\n",
    "%00",
    "{{7*7}}",
]
WRONG_TYPES = [
    "-1",
    "0",
    "13",
    "1e309",
    "NaN",
    "99999999999999999999999999",
    "2025-02-30",
    "2025-13-01",
    "0000-00-00",
    "9999-12-31",
    "31.12.2025",
    "true",
    "null",
    "[]",
    "{}",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "on",
    "5",
    "н",
]


def texts() -> st.SearchStrategy[str]:
    """Field values: random unicode, edge cases, wrong types, huge values."""
    return st.one_of(
        st.text(max_size=40),
        st.sampled_from(EDGE),
        st.sampled_from(WRONG_TYPES),
        st.builds(lambda c, n: c * n, st.sampled_from(["x", "ё", "\x00", "😀"]), st.just(HUGE)),
        st.from_regex(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    )


@dataclass
class FormCase:
    """One generated form submission."""

    pairs: list[tuple[str, str]]
    multipart: bool
    nameless_part: bool
    files: list[tuple[str, bytes]] = field(default_factory=list)


def form_cases(names: list[str]) -> st.SearchStrategy[FormCase]:
    """Submissions of a form with fields ``names``: each field missing, once or twice, with a
    generated value; some random extra fields; urlencoded or multipart (sometimes with a
    part without a name, or a file part with random bytes)."""
    field_names = st.sampled_from(names) if names else st.text(max_size=10)
    pair = st.tuples(st.one_of(field_names, st.text(max_size=12)), texts())
    return st.builds(
        FormCase,
        pairs=st.lists(pair, max_size=max(4, len(names) + 3)),
        multipart=st.booleans(),
        nameless_part=st.booleans(),
        files=st.lists(
            st.tuples(st.one_of(field_names, st.just("file")), st.binary(max_size=300)),
            max_size=2,
        ),
    )


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def urlencoded(pairs: list[tuple[str, str]]) -> bytes:
    """``a=b&c=d`` with lone surrogates passed through as (invalid) UTF-8 bytes."""
    return b"&".join(
        quote_plus(_encode(name)).encode() + b"=" + quote_plus(_encode(value)).encode()
        for name, value in pairs
    )


BOUNDARY = "fuzzBoundary7MA4YWxkTrZu0gW"


def multipart(case: FormCase, csrf: str) -> bytes:
    """A multipart/form-data body of the case (the CSRF token first)."""
    parts = [('form-data; name="csrf_token"', csrf.encode())]
    parts += [(f'form-data; name="{name}"', _encode(value)) for name, value in case.pairs]
    if case.nameless_part:
        parts.append(("form-data", b"a part without a name"))
    parts += [(f'form-data; name="{name}"; filename="list.csv"', data) for name, data in case.files]
    body = b""
    for disposition, data in parts:
        body += f"--{BOUNDARY}\r\n".encode()
        body += b"Content-Disposition: " + _encode(disposition) + b"\r\n\r\n" + data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def send_form(client: Any, path: str, case: FormCase, csrf: str) -> Any:
    """POST the case to ``path``."""
    if case.multipart:
        return client.post(
            path,
            data=multipart(case, csrf),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )
    return client.post(
        path,
        data=urlencoded([("csrf_token", csrf), *case.pairs]),
        content_type="application/x-www-form-urlencoded",
    )


class _Forms(HTMLParser):
    """The field names of each form of a page, by the form's action (a path)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, set[str]] = {}
        self._action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self._action = urlsplit(values.get("action") or "").path
            self.forms.setdefault(self._action, set())
        elif tag in ("input", "select", "textarea", "button") and self._action is not None:
            name = values.get("name")
            if name and name != "csrf_token":
                self.forms[self._action].add(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._action = None


def form_fields(page: str, action: str) -> list[str]:
    """The names of the fields of the form on ``page`` that posts to ``action``."""
    parser = _Forms()
    parser.feed(page)
    return sorted(parser.forms.get(action, set()))


# --- JSON bodies of the API --------------------------------------------------------------
def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value, edge-case strings and numbers among them."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        texts(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )


@dataclass
class ApiCase:
    """One generated API request body (raw bytes) and its content type."""

    body: bytes
    content_type: str


def _raw_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def api_cases(properties: dict[str, Any]) -> st.SearchStrategy[ApiCase]:
    """Bodies for an operation whose JSON object has ``properties``: the right keys with
    values of any type (nested, too: list items of the wrong shape), any JSON at all,
    duplicated keys, broken JSON, a wrong content type."""
    keys = sorted(properties)
    shaped = st.dictionaries(
        st.sampled_from(keys) if keys else st.text(max_size=8), json_values(), max_size=6
    )
    item_keys = sorted(
        {
            name
            for spec in properties.values()
            for name in (spec.get("items") or {}).get("properties", {})
        }
    )
    nested = st.builds(
        lambda k, items: {k: items},
        st.sampled_from(keys or ["x"]),
        st.lists(
            st.dictionaries(
                st.sampled_from(item_keys) if item_keys else st.text(max_size=8),
                json_values(),
                max_size=4,
            ),
            max_size=3,
        ),
    )
    duplicated = st.builds(
        lambda k, a, b: (
            b"{"
            + _raw_json(k)
            + b":"
            + _raw_json(a)
            + b","
            + _raw_json(k)
            + b":"
            + _raw_json(b)
            + b"}"
        ),
        st.sampled_from(keys or ["x"]),
        json_values(),
        json_values(),
    )
    return st.one_of(
        st.builds(ApiCase, st.builds(_raw_json, shaped), st.just("application/json")),
        st.builds(ApiCase, st.builds(_raw_json, nested), st.just("application/json")),
        st.builds(ApiCase, st.builds(_raw_json, json_values()), st.just("application/json")),
        st.builds(ApiCase, duplicated, st.just("application/json")),
        st.builds(
            ApiCase,
            st.one_of(st.binary(max_size=200), st.just(b"{" * 10_000), st.just(b'{"a":')),
            st.sampled_from(
                ["application/json", "text/plain", "application/x-www-form-urlencoded"]
            ),
        ),
    )
