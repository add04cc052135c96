"""Every page and every API operation, hit with hostile values per parameter: never a 5xx.

Generated, not hand-listed: the pages come from the URL resolver (their parameters are
read from the views' source and forms), the API operations and their parameters from
/api/openapi.json. Each parameter gets huge, negative and malformed integers, impossible
dates, NUL characters, 10,000-character strings and wrong types, as the campaign office
and as a liaison. Runs on SQLite and PostgreSQL (PostgreSQL refuses NUL in text and
integers beyond bigint, so it finds what SQLite forgives).
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

HUGE = "99999999999999999999"  # beyond 64 bits
BIG = str(2**63)  # one past bigint
LONG = "长" * 10_000
NUL = "a\x00b"

# Query-string and form values (all strings on the wire).
WIRE_VALUES = [HUGE, BIG, "-1", "0", "１²", "2024-02-30", NUL, LONG, "1e3"]
PER_PARAM_VALUES = [HUGE, "2024-02-30", NUL]  # the rest go in the all-at-once requests
PATH_INTS = [HUGE, BIG, "0"]
PATH_STRS = [NUL, "x" * 2000, "2024-02-30"]

SKIPPED_PAGES = {"logout", "admin"}  # logout would end the session the test runs in; admin is Django's


# ------------------------------------------------------------------------------ data
# `api_world` (tests/conftest.py): one problem with evidence, one routed suggestion.


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.DUBAN_INTAKE_LIMITS = {"submit": (10**6, 60), "lookup": (10**6, 60), "rate": (10**6, 60)}


def _request(client: Client, method: str, path: str, **kw):
    """One request in a savepoint: on PostgreSQL a failed statement must not poison the rest."""
    sid = transaction.savepoint()
    try:
        return getattr(client, method)(path, **kw)
    finally:
        transaction.savepoint_rollback(sid)


def _client(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


# ----------------------------------------------------------------------------- pages

_PARAM_RE = [
    re.compile(r"""(?:GET|POST|\bg|\bp)\.get(?:list)?\(\s*["'](\w+)["']"""),
    re.compile(r"""(?:GET|POST|\bg|\bp)\[\s*["'](\w+)["']\s*\]"""),
    re.compile(r"""["'](\w+)["']\s+(?:not\s+)?in\s+(?:request\.)?(?:GET|POST|g|p)\b"""),
]
_CALL_RE = re.compile(r"\b([A-Za-z_]\w*)\(")


def _view_inputs(func, seen=None) -> dict[str, object]:
    """Parameter name → form field (or None) of what a view reads: GET/POST keys and its
    forms' fields, following the module's own helpers (e.g. `_campaign(request)`) and the
    ledger's filter parser (`from_params`)."""
    seen = set() if seen is None else seen
    func = inspect.unwrap(func)
    if func in seen or not getattr(func, "__module__", "").startswith("duban"):
        return {}
    seen.add(func)
    try:
        src = inspect.getsource(func)
    except (OSError, TypeError):
        return {}
    found: dict[str, object] = {}
    for rx in _PARAM_RE:
        found.update(dict.fromkeys(rx.findall(src)))
    module_globals = getattr(func, "__globals__", {})
    for called in sorted(set(_CALL_RE.findall(src))):
        target = module_globals.get(called)
        if inspect.isclass(target) and hasattr(target, "base_fields"):
            found.update(target.base_fields)
        elif inspect.isfunction(target):
            found.update({k: v for k, v in _view_inputs(target, seen).items() if k not in found or v is not None})
    if "from_params(" in src:  # the ledger's filter object reads the whole query string
        from duban.ledger.queries import ProblemFilter

        found.update(dict.fromkeys([*ProblemFilter.__dataclass_fields__, "page"]))
    return found


def _view_params(func) -> set[str]:
    return set(_view_inputs(func))


def _baseline(inputs: dict[str, object]) -> dict[str, str]:
    """A valid-looking value for every required form field, so one hostile field gets deep."""
    from django import forms

    out = {}
    for name, field in inputs.items():
        if not isinstance(field, forms.Field) or not field.required or isinstance(field, forms.FileField):
            continue
        choices = [c[0] for c in getattr(field, "choices", []) if c[0] not in ("", None)]
        if isinstance(field, forms.ChoiceField):
            out[name] = str(choices[0]) if choices else ""
        else:
            out[name] = "测试内容，足够长的说明"
    return out


def _page_patterns():
    """(route, callback, name) of every page, from the resolver itself."""

    def walk(patterns, prefix, ns):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route.startswith(("api/", "admin/")):
                    continue
                yield from walk(p.url_patterns, route, p.namespace or ns)
            elif isinstance(p, URLPattern):
                yield route, p.callback, f"{ns}:{p.name}" if ns else p.name

    return [r for r in walk(get_resolver().url_patterns, "", "") if r[2] not in SKIPPED_PAGES]


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _fill(route: str, values: dict[str, str]) -> str:
    return "/" + _CONVERTER.sub(lambda m: quote(values[m.group(2)], safe=""), route)


def _real_ids(world) -> dict[str, str]:
    return {
        "ledger": str(world["problem"].pk), "intake": str(world["suggestion"].pk), "triage": str(world["suggestion"].pk),
        "orgs": str(world["unit"].pk), "campaigns": str(world["campaign"].pk), "public": world["suggestion"].tracking_code,
    }


def _methods(callback) -> list[str]:
    try:
        src = inspect.getsource(inspect.unwrap(callback))
    except (OSError, TypeError):
        return ["get", "post"]
    if "@require_POST" in src:
        return ["post"]
    return ["get", "post"] if "POST" in src or getattr(callback, "view_class", None) else ["get"]


def _page_requests(world):
    """(method, path, data) for every page × parameter × hostile value."""
    real = _real_ids(world)
    for route, callback, name in _page_patterns():
        ns = name.split(":")[0] if ":" in name else ""
        convs = _CONVERTER.findall(route)
        ok = {arg: (real.get(ns, "1") if conv == "int" else "claim" if arg == "name" else real.get(ns, "x")) for conv, arg in convs}
        if name == "ledger:evidence_download":
            ok["pk"] = str(world["evidence"].pk)
        view = getattr(callback, "view_class", None)
        inputs = _view_inputs(callback) if view is None else dict(getattr(view, "form_class", None) and view.form_class.base_fields or {})
        base = _baseline(inputs)
        methods = _methods(callback)
        for method in methods:
            yield method, _fill(route, ok), base
            for conv, arg in convs:
                for bad in PATH_INTS if conv == "int" else PATH_STRS:
                    yield method, _fill(route, {**ok, arg: bad}), base
            for value in WIRE_VALUES:
                yield method, _fill(route, ok), {p: value for p in inputs}  # everything at once
            for p in sorted(inputs):
                for value in PER_PARAM_VALUES:
                    yield method, _fill(route, ok), {**base, p: value}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["office", "liaison_a"])
def test_pages_never_answer_5xx(api_world, who):
    world = api_world
    client = _client(world["users"][who])
    failures = []
    n = 0
    for method, path, data in _page_requests(world):
        n += 1
        r = _request(client, method, path, data=data)
        if r.status_code >= 500:
            failures.append(f"{method.upper()} {path[:80]} {_short(data)} → {r.status_code}")
    assert n > 500  # the generator found the pages and their parameters
    assert not failures, f"{len(failures)} of {n} requests answered 5xx:\n" + "\n".join(sorted(set(failures))[:200])


def test_page_parameters_are_found_from_the_views():
    from duban.ledger import views as ledger_views
    from duban.orgs import views as orgs_views

    assert {"campaign", "area", "unit", "deadline_from", "q", "page"} <= _view_params(ledger_views.problem_list)
    assert {"name", "kind", "code", "username", "add_member"} <= _view_params(orgs_views.unit_detail)


def _short(data) -> str:
    return json.dumps({k: (v[:12] + "…" if isinstance(v, str) and len(v) > 12 else v) for k, v in data.items()}, ensure_ascii=False)[:160]


# ------------------------------------------------------------------------------- API

JSON_BAD = {
    "integer": [10**20, 2**63, -1, 0, "abc", 1.5, None],
    "string": ["a\x00b", LONG, 123, None, ["x"]],
    "date": ["2024-02-30", "99999-01-01", "\x00"],
    "date-time": ["2024-02-30T10:00:00", "2024-01-01T25:61:00"],
    "boolean": ["maybe", 2],
    "array": [["a\x00b"], [LONG], "x", [None]],
    "object": ["x", {"\x00": "\x00"}],
}
QUERY_BAD = {
    "integer": [HUGE, BIG, "-1", "0", "abc", "１²"],
    "string": [NUL, LONG, "2024-02-30", HUGE],
    "boolean": ["maybe", NUL],
}


def _resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema["anyOf"][0])
        return _resolve(spec, schema)
    return schema


def _kind(schema) -> str:
    fmt = schema.get("format")
    return fmt if fmt in ("date", "date-time") else schema.get("type", "string")


def _api_ids(world) -> dict[str, object]:
    return {
        "problem_id": world["problem"].pk, "suggestion_id": world["suggestion"].pk, "unit_id": world["unit"].pk,
        "campaign_id": world["campaign"].pk, "focus_area_id": world["area"].pk, "supervisor_id": world["tree"]["root"].pk,
        "place_unit_id": world["unit"].pk, "parent_id": world["unit"].pk, "under_id": world["unit"].pk,
        "evidence_id": world["evidence"].pk, "code": world["suggestion"].tracking_code, "name": "claim", "run_id": 1,
        "campaign": world["campaign"].pk, "area": world["area"].pk, "unit": world["unit"].pk,
        "item_id": world["item"].pk, "lead_unit_id": world["unit"].pk,
    }


def _good(spec, name, schema, ids):
    schema = _resolve(spec, schema)
    if name in ids:
        return ids[name]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = _kind(schema)
    return {"integer": 1, "boolean": False, "date": "2030-01-01", "date-time": "2030-01-01T08:00:00+08:00",
            "array": ["路灯不亮"], "object": {}}.get(kind, "路灯坏了很久没人修")


@dataclass
class Operation:
    method: str
    path: str
    content: dict
    body_schema: dict | None
    good_path: dict
    good_body: dict

    def call(self, path_values=None, query=None, body=None, raw=None, label=""):
        """(method, url, client kwargs, label) of one request to this operation."""
        values = {**self.good_path, **(path_values or {})}
        url = re.sub(r"{(\w+)}", lambda m: quote(str(values[m.group(1)]), safe=""), self.path)
        if self.method == "get":
            return self.method, url, {"data": query or {}}, label or str(query or path_values or "")
        qs = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in (query or {}).items())
        url += "?" + qs if qs else ""
        if self.body_schema is not None:
            data = raw if raw is not None else json.dumps(body if body is not None else self.good_body)
            return self.method, url, {"data": data, "content_type": "application/json"}, label or str(query or path_values or raw or "")
        if "multipart/form-data" in self.content:
            from django.core.files.uploadedfile import SimpleUploadedFile

            from duban.ledger.demo import tiny_png

            upload = SimpleUploadedFile("现场\x00" + "长" * 300 + ".png", tiny_png(), content_type="image/png")
            return self.method, url, {"data": {"file": upload}}, label or "file"
        return self.method, url, {}, label or str(query or path_values or "")


def _operations(spec, world):
    ids = _api_ids(world)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            body_schema = _resolve(spec, content["application/json"]["schema"]) if "application/json" in content else None
            yield Operation(
                method=method, path=path, content=content, body_schema=body_schema,
                good_path={p["name"]: ids.get(p["name"], 1) for p in op.get("parameters", []) if p["in"] == "path"},
                good_body={k: _good(spec, k, v, ids) for k, v in (body_schema or {}).get("properties", {}).items()},
            ), op.get("parameters", [])


def _api_requests(spec, world):
    """(method, url, kwargs, label) for every operation × parameter × hostile value."""
    for op, params in _operations(spec, world):
        yield op.call()
        for p in params:
            kind = _kind(_resolve(spec, p["schema"]))
            for bad in QUERY_BAD.get(kind, QUERY_BAD["string"]):
                yield op.call(path_values={p["name"]: bad}) if p["in"] == "path" else op.call(query={p["name"]: bad})
        for prop, prop_schema in (op.body_schema or {}).get("properties", {}).items():
            kind = _kind(_resolve(spec, prop_schema))
            for bad in JSON_BAD.get(kind, JSON_BAD["string"]):
                yield op.call(body={**op.good_body, prop: bad}, label=f"{prop}={bad!r}"[:60])
        if op.body_schema is not None:
            for raw in ("{", "[]", '"\\u0000"', "null"):
                yield op.call(raw=raw, label=f"raw {raw}")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["office", "liaison_a"])
def test_api_never_answers_5xx(api_world, who):
    world = api_world
    client = _client(world["users"][who])
    spec = client.get("/api/openapi.json").json()
    failures = []
    n = 0
    for method, u, kw, label in _api_requests(spec, world):
        n += 1
        r = _request(client, method, u, **kw)
        if r.status_code >= 500:
            failures.append(f"{method.upper()} {u[:100]} {label} → {r.status_code}")
    assert n > 300
    assert not failures, f"{len(failures)} of {n} requests answered 5xx:\n" + "\n".join(sorted(set(failures))[:200])
