"""Analyst rules: YAML files of conditions on facts, hot-reloaded when a file changes.

A rule file holds optional named ``lists`` and ``rules``::

    lists:
      cash: [CA, CASH]
    rules:
      - id: one-way-cash-late
        title: One-way ticket paid in cash, booked under 72 hours before departure
        applies_to: [passenger]
        weight: 0.35
        when:
          all:
            - booking.one_way: {eq: true}
            - booking.form_of_payment: {in: $cash}
            - booking.hours_before_departure: {lt: 72}

A condition is ``{fact: {op: value}}`` (several ops on one fact must all hold) or a group ``all:``,
``any:`` or ``not:``. A value ``$name`` names a list from the file or from ``reference.yaml``.
A file that does not load does not stop targeting: the ``RuleBook`` keeps the last good rules and
reports the error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator

from schemas.records import Frozen
from targeting.facts import Facts, load_reference

log = logging.getLogger(__name__)

DEFAULT_RULES_DIR = Path(__file__).with_name("rules")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def _norm(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _compare(test: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def check(actual: Any, expected: Any) -> bool:
        left, right = _number(actual), _number(expected)
        return left is not None and right is not None and test(left, right)

    return check


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str):
        return any(str(e).upper() in actual.upper() for e in _as_list(expected))
    values = {_norm(v) for v in _as_list(actual)}
    return any(_norm(e) in values for e in _as_list(expected))


def _between(actual: Any, expected: Any) -> bool:
    low, high = (_number(v) for v in _as_list(expected)[:2])
    value = _number(actual)
    return None not in (low, high, value) and low <= value <= high  # type: ignore[operator]


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, e: _norm(a) == _norm(e),
    "ne": lambda a, e: a is not None and _norm(a) != _norm(e),
    "in": lambda a, e: a is not None and _norm(a) in {_norm(v) for v in _as_list(e)},
    "not_in": lambda a, e: a is not None and _norm(a) not in {_norm(v) for v in _as_list(e)},
    "lt": _compare(lambda a, e: a < e),
    "le": _compare(lambda a, e: a <= e),
    "gt": _compare(lambda a, e: a > e),
    "ge": _compare(lambda a, e: a >= e),
    "between": _between,
    "contains": _contains,  # a substring of a text, or one of the values of a list fact
    "intersects": _contains,
    "matches": lambda a, e: any(re.search(str(e), str(v), re.IGNORECASE) for v in _as_list(a)),
    "exists": lambda a, e: (a not in (None, "", [])) == bool(e),
}


class Rule(Frozen):
    id: str
    title: str
    applies_to: list[str] = Field(default_factory=lambda: ["passenger", "consignment"])
    weight: float = Field(default=0.3, ge=0.0, le=1.0)
    severity: str = "medium"
    alert: bool = False  # a hit alone raises an alert to counter-terrorism units
    enabled: bool = True
    when: dict[str, Any]

    @field_validator("when")
    @classmethod
    def _valid_condition(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_condition(value)
        return value


def _check_condition(condition: Any) -> None:
    if not isinstance(condition, Mapping) or not condition:
        raise ValueError(f"a condition is a mapping, got {condition!r}")
    for key, body in condition.items():
        if key in ("all", "any"):
            if not isinstance(body, list) or not body:
                raise ValueError(f"{key}: expects a non-empty list of conditions")
            for item in body:
                _check_condition(item)
        elif key == "not":
            _check_condition(body)
        else:
            if not isinstance(body, Mapping) or not body:
                raise ValueError(f"{key}: expects a mapping of operator to value, e.g. {{eq: true}}")
            unknown = set(body) - OPERATORS.keys()
            if unknown:
                raise ValueError(f"{key}: unknown operator(s) {sorted(unknown)}; known: {sorted(OPERATORS)}")


@dataclass(frozen=True)
class RuleHit:
    rule_id: str
    title: str
    weight: float
    severity: str
    alert: bool
    because: list[str]  # the conditions that held, with the actual values

    @property
    def sentence(self) -> str:
        return f"{self.title} ({'; '.join(self.because)})" if self.because else self.title


def _resolve(value: Any, lists: Mapping[str, list[Any]]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return lists.get(value[1:], [])
    return value


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value[:6]) + (", ..." if len(value) > 6 else "") + "]"
    return str(value)


def evaluate(condition: Mapping[str, Any], facts: Facts, lists: Mapping[str, list[Any]], because: list[str]) -> bool:
    """Whether ``condition`` holds on ``facts``; the leaf conditions that held are appended to ``because``."""
    for key, body in condition.items():
        if key == "all":
            if not all(evaluate(item, facts, lists, because) for item in body):
                return False
        elif key == "any":
            trail: list[str] = []
            if not any(evaluate(item, facts, lists, trail) for item in body):
                return False
            because.extend(trail)
        elif key == "not":
            if evaluate(body, facts, lists, []):
                return False
        else:
            actual = facts.get(key)
            for op, raw in body.items():
                expected = _resolve(raw, lists)
                if not OPERATORS[op](actual, expected):
                    return False
                shown = raw if isinstance(raw, str) and raw.startswith("$") else _show(expected)
                because.append(f"{key} = {_show(actual)} {op} {shown}")
    return True


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...] = ()
    lists: Mapping[str, list[Any]] = field(default_factory=dict)

    def apply(self, facts: Facts) -> list[RuleHit]:
        hits: list[RuleHit] = []
        record_type = facts.get("record_type")
        for rule in self.rules:
            if not rule.enabled or record_type not in rule.applies_to:
                continue
            because: list[str] = []
            if evaluate(rule.when, facts, self.lists, because):
                hits.append(RuleHit(rule.id, rule.title, rule.weight, rule.severity, rule.alert, because))
        return hits


class RuleFileError(ValueError):
    pass


def parse_rule_file(text: str, origin: str = "<rules>") -> tuple[list[Rule], dict[str, list[Any]]]:
    """Rules and lists of one YAML file; raises ``RuleFileError`` naming the rule that is wrong."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise RuleFileError(f"{origin}: expected a mapping with 'rules' (and optional 'lists')")
    lists = {str(k): list(v) for k, v in (data.get("lists") or {}).items()}
    rules: list[Rule] = []
    for number, item in enumerate(data.get("rules") or [], 1):
        try:
            rules.append(Rule.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            name = item.get("id", f"#{number}") if isinstance(item, Mapping) else f"#{number}"
            raise RuleFileError(f"{origin}: rule {name}: {where}: {first['msg']}") from exc
    return rules, lists


def build_ruleset(files: Iterable[tuple[str, str]]) -> RuleSet:
    """A rule set from (origin, YAML text) pairs, with the reference lists available as ``$name``."""
    lists: dict[str, list[Any]] = {k: list(v) for k, v in load_reference().lists.items()}
    rules: dict[str, Rule] = {}
    for origin, text in files:
        found, own_lists = parse_rule_file(text, origin)
        lists.update(own_lists)
        for rule in found:
            if rule.id in rules:
                raise RuleFileError(f"{origin}: rule id {rule.id!r} defined twice")
            rules[rule.id] = rule
    return RuleSet(tuple(rules.values()), lists)


class RuleBook:
    """The rules of a directory (``*.yaml``), reloaded when a file's mtime, size or the file set changes.

    ``current()`` is cheap (one ``stat`` per file); a broken edit keeps the previous rules in force and
    is reported in ``error`` until it is fixed.
    """

    def __init__(self, directory: Path = DEFAULT_RULES_DIR) -> None:
        self.directory = directory
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self._rules = RuleSet()
        self.error: str | None = None
        self.loads = 0

    def _files(self) -> list[Path]:
        if self.directory.is_file():
            return [self.directory]
        return sorted(p for p in self.directory.glob("*.yaml") if p.is_file())

    def _current_stamp(self) -> tuple[tuple[str, int, int], ...]:
        stamp = []
        for path in self._files():
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            stamp.append((str(path), info.st_mtime_ns, info.st_size))
        return tuple(stamp)

    def current(self) -> RuleSet:
        stamp = self._current_stamp()
        if stamp != self._stamp:
            try:
                texts = [(path, Path(path).read_text(encoding="utf-8")) for path, _, _ in stamp]
                self._rules = build_ruleset(texts)
                self.error = None
                self.loads += 1
            except (RuleFileError, OSError) as exc:
                self.error = str(exc)
                log.error("rules not reloaded, previous rules stay in force: %s", exc)
            self._stamp = stamp
        return self._rules
