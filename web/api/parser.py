"""Reading API requests strictly: a JSON body (object keys once each, no NaN), query
parameters once each, every problem a 422 with Russian messages by field."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar

import flask
import marshmallow as ma
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from web.hygiene import surrogate_at

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
INVALID = "Данные запроса не прошли проверку."


class DuplicateKey(ValueError):
    """Raised while decoding JSON when an object names the same key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(key)
        found[key] = value
    return found


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def refuse(message: str, problems: Mapping[str, list[str]]) -> NoReturn:
    """Stop the request with 422, ``message`` and the problems by field."""
    abort(422, message=message, errors=dict(problems))


def flat(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"marks.0.value": [...]}``, each in Russian."""
    if isinstance(messages, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            out.update(flat(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    items = messages if isinstance(messages, list) else [messages]
    if items and all(isinstance(i, Mapping) for i in items):
        out = {}
        for item in items:
            out.update(flat(item, prefix))
        return out
    return {prefix or "_schema": [_russian(str(i)) for i in items]}


def _russian(message: str) -> str:
    """Our schemas speak Russian; a library default that slipped through is replaced."""
    return message if CYRILLIC.search(message) else "Неверное значение."


class StrictParser(FlaskParser):
    """webargs' Flask parser, stricter about the body and the query string."""

    DEFAULT_VALIDATION_STATUS = 422

    def _raw_load_json(self, req: flask.Request) -> Any:
        body = req.get_data(cache=True)
        if not body:
            return core.missing
        if not is_json_request(req):
            refuse(
                "Тело запроса должно быть в формате JSON.",
                {"json": ["Укажите заголовок «Content-Type: application/json»."]},
            )
        try:
            found = json.loads(
                body.decode("utf-8"), object_pairs_hook=_unique, parse_constant=_no_constant
            )
        except DuplicateKey as error:
            refuse(INVALID, {error.key: ["Поле передано несколько раз."]})
        except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            refuse("Тело запроса — не корректный JSON.", {"json": ["Не удалось разобрать JSON."]})
        where = surrogate_at(found)  # "\ud800": valid JSON, but no UTF-8 text
        if where is not None:
            refuse(INVALID, {where: ["Недопустимый символ: одиночный суррогат UTF-16."]})
        return found

    def load_querystring(self, req: flask.Request, schema: ma.Schema) -> Any:
        twice = sorted({k for k in req.args if len(req.args.getlist(k)) > 1})
        if twice:
            refuse(INVALID, {k: ["Параметр передан несколько раз."] for k in twice})
        return super().load_querystring(req, schema)

    def handle_error(
        self,
        error: ma.ValidationError,
        req: flask.Request,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> NoReturn:
        messages: Any = error.messages
        if isinstance(messages, Mapping) and len(messages) == 1:
            (location,) = messages
            if location in self.__location_map__:  # webargs files messages by location
                messages = messages[location]
        refuse(INVALID, flat(messages))


View = TypeVar("View", bound=Callable[..., Any])


class ApiBlueprint(Blueprint):  # type: ignore[misc]  # flask-smorest ships no types
    """A flask-smorest blueprint reading requests with ``StrictParser``.

    Its decorators are flask-smorest's, given types here: each returns the view it
    decorates (flask-smorest wraps it in a view of the same signature)."""

    ARGUMENTS_PARSER = StrictParser()

    def route(self, rule: str, **options: Any) -> Callable[[View], View]:
        """Register the view at ``rule`` (and document it)."""
        decorate: Callable[[View], View] = super().route(rule, **options)
        return decorate

    def arguments(
        self, schema: type[ma.Schema] | ma.Schema, **options: Any
    ) -> Callable[[View], View]:
        """Load the request's ``location`` through ``schema`` into the view's first argument."""
        decorate: Callable[[View], View] = super().arguments(schema, **options)
        return decorate

    def response(
        self, status_code: int, schema: type[ma.Schema] | ma.Schema | None = None, **options: Any
    ) -> Callable[[View], View]:
        """Dump the view's result through ``schema`` with ``status_code``."""
        decorate: Callable[[View], View] = super().response(status_code, schema, **options)
        return decorate
