"""Reading a student's answer file: data in, never code.

An answer file is a YAML (or JSON) mapping from question id to answer. It is
parsed with a safe loader that also refuses aliases, after a size check, and
every value is checked against its question's kind. Problems are collected,
not raised: a malformed file or answer costs the affected questions their
points and says why, and the rest of the file (and of the class) is still
marked.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from claimstats.exercises.bank import (
    CHOICE,
    CHOICES,
    COUNT,
    MANUAL_KINDS,
    NUMBER,
    Question,
    did_you_mean,
    questions,
)

#: Largest answer file read (bytes). A real one is a few kilobytes.
MAX_FILE_BYTES = 1_000_000
#: Longest text answer kept (characters); a stakeholder note is a few sentences.
MAX_TEXT_CHARS = 5_000
#: Keys that describe the file rather than answer a question.
META_KEYS = frozenset({"student", "set", "name"})


class _AnswerLoader(yaml.SafeLoader):
    """Safe YAML without aliases (no 'billion laughs') and with duplicate keys reported."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in an answer file", event.start_mark
            )
        return super().compose_node(parent, index)

    def get_single_node(self):
        self.root = super().get_single_node()
        return self.root

    def construct_mapping(self, node, deep=False):
        if node is not getattr(self, "root", None):  # only the top level holds answers
            return super().construct_mapping(node, deep=deep)
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                self.duplicates.append(str(key))
            seen.add(key if isinstance(key, (str, int, float, bool)) else id(key_node))
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 reads 0123 as octal (83), 1:30 as base 60 (90) and yes/no/on/off as
# True/False: a student's answer would change silently, and feedback would quote
# what they never wrote ("got True"). Answers are read with decimal numbers only
# and no booleans; anything else stays text, as written, which the answer checks
# parse or refuse.
_INT, _FLOAT, _BOOL = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"
_AnswerLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT, _BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_AnswerLoader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_AnswerLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                 |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
                 |[-+]?\.(?:inf|Inf|INF)
                 |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


@dataclass
class Submission:
    """A parsed answer file: the usable answers and every problem found.

    ``answers`` maps question id → a normalised answer (float, int, str or
    sorted list of str); ``invalid`` maps question id → why its answer was
    refused; ``problems`` are file-level messages (unknown ids, bad YAML…);
    ``readable`` is False when nothing could be read at all.
    """

    source: str
    answers: dict[str, Any] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    readable: bool = True
    meta: dict[str, str] = field(default_factory=dict)

    def answered_sets(self) -> list[str]:
        from claimstats.exercises.bank import question

        ids = [*self.answers, *self.invalid]
        return sorted({question(i).set for i in ids})


def read_submission(path: str | os.PathLike) -> Submission:
    """Parse an answer file. Never raises for bad content; see :class:`Submission`.

    A missing file raises ``FileNotFoundError`` and a folder ``IsADirectoryError``
    (input errors of the caller).
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a folder, not an answer file")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return _unreadable(str(path), f"the file is too large ({size:,} bytes; at most {MAX_FILE_BYTES:,})")
    raw = path.read_bytes()
    return parse_submission(raw, source=str(path), as_json=path.suffix.lower() == ".json")


def parse_submission(raw: bytes | str, *, source: str = "answers", as_json: bool = False) -> Submission:
    """Parse answer text (YAML, or JSON with ``as_json``) into a :class:`Submission`.

    Examples
    --------
    >>> sub = parse_submission("plan-rows: 2913\\nplan-target: claim_status\\nplan-nope: 1\\n")
    >>> sub.answers
    {'plan-rows': 2913, 'plan-target': 'claim_status'}
    >>> sub.problems
    ["unknown question id 'plan-nope' (did you mean 'plan-rows'?); ignored"]
    >>> parse_submission("plan-rows: [1, 2").readable
    False
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_FILE_BYTES:
        return _unreadable(source, f"the file is too large ({len(raw):,} bytes; at most {MAX_FILE_BYTES:,})")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return _unreadable(source, f"not UTF-8 text (byte {err.start}); save the file as UTF-8")
    duplicates: list[str] = []
    try:
        content = _parse_json(text, duplicates) if as_json else _parse_yaml(text, duplicates, source)
    # ValueError: also what Python raises for an integer of more than 4,300 digits.
    except (yaml.YAMLError, ValueError, RecursionError) as err:
        return _unreadable(source, f"not valid {'JSON' if as_json else 'YAML'}: {_one_line(err)}")
    if content is None:
        return Submission(source, problems=["the file is empty: no answers"])
    if not isinstance(content, dict):
        return _unreadable(
            source, f"expected 'question-id: answer' lines (a mapping), got a {type(content).__name__}"
        )
    return _collect(source, content, duplicates)


def _parse_yaml(text: str, duplicates: list[str], source: str) -> Any:
    loader = _AnswerLoader(text)
    loader.name = source  # error messages name the file, not "<unicode string>"
    loader.duplicates = duplicates
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _parse_json(text: str, duplicates: list[str]) -> Any:
    def pairs(items):
        out = {}
        for key, value in items:
            if key in out:
                duplicates.append(key)
            out[key] = value
        return out

    return json.loads(text, object_pairs_hook=pairs)


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())[:200]


def _unreadable(source: str, message: str) -> Submission:
    return Submission(source, problems=[message], readable=False)


def _collect(source: str, content: dict, duplicates: list[str]) -> Submission:
    bank = {q.id: q for q in questions()}
    sub = Submission(source)
    for dup in dict.fromkeys(duplicates):
        if dup in bank:
            sub.invalid[dup] = "answered more than once in the file; write each answer once"
        else:
            sub.problems.append(f"key {dup!r} appears more than once")
    for key, value in content.items():
        name = str(key)
        if name in META_KEYS:
            if value is not None:
                sub.meta[name] = str(value)[:100]
            continue
        if name not in bank:
            sub.problems.append(f"unknown question id {name!r}{did_you_mean(name, bank)}; ignored")
            continue
        if name in sub.invalid:
            continue
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            continue  # left blank: not answered
        try:
            sub.answers[name] = normalise_answer(bank[name], value)
        except ValueError as err:
            sub.invalid[name] = str(err)
    return sub


def normalise_answer(q: Question, value: Any) -> Any:
    """Check an answer's type for its question and return it normalised.

    Raises ``ValueError`` with a message for the student when the type is wrong.

    Examples
    --------
    >>> from claimstats.exercises.bank import question
    >>> normalise_answer(question("plan-rows"), "2,913")
    2913
    >>> normalise_answer(question("plan-rows"), 2913.5)
    Traceback (most recent call last):
    ...
    ValueError: expected a whole number, got 2913.5
    """
    if q.kind == NUMBER:
        return _number(value)
    if q.kind == COUNT:
        number = _number(value)
        if not number.is_integer():
            raise ValueError(f"expected a whole number, got {number:g}")
        return int(number)
    if q.kind == CHOICE:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        return _option(q, value)
    if q.kind == CHOICES:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            raise ValueError(f"expected a list of options, got {_shown(value)}")
        if len(items) > len(q.options):
            raise ValueError(f"more choices ({len(items)}) than options ({len(q.options)})")
        return sorted({_option(q, item) for item in items if not (isinstance(item, str) and not item.strip())})
    if q.kind in MANUAL_KINDS:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(f"expected text, got {_shown(value)}")
        text = str(value).strip()
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"the answer is too long ({len(text):,} characters; at most {MAX_TEXT_CHARS:,})")
        return text
    raise ValueError(f"question kind {q.kind!r} cannot be answered")  # pragma: no cover - bank validates kinds


def _number(value: Any) -> float:
    if isinstance(value, bool):  # only JSON has booleans here: YAML's yes/no stay text
        raise ValueError(f"expected a number, got {_shown(value)} (true/false are not numbers)")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if text.endswith("%"):
            raise ValueError(f"expected a number, got {text!r}: write a share as a proportion (0.25), without '%'")
        try:
            number = float(text.replace(",", "")) if _thousands(text) else float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {_shown(value)}") from None
    else:
        raise ValueError(f"expected a number, got {_shown(value)}")
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def _thousands(text: str) -> bool:
    """'1,234' or '12,345.6' (commas between groups of three), not '0,35'."""
    head, _, _ = text.lstrip("+-").partition(".")
    groups = head.split(",")
    return len(groups) > 1 and 1 <= len(groups[0]) <= 3 and all(len(g) == 3 and g.isdigit() for g in groups[1:])


def _option(q: Question, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected one of the options, got {_shown(value)}")
    text = str(value).strip().strip("`'\"").lower()
    keys = {k.lower(): k for k in q.option_keys()}
    if text not in keys:
        raise ValueError(f"{_shown(value)} is not an option; choose from: {', '.join(q.option_keys())}")
    return keys[text]


def _shown(value: Any) -> str:
    """The value as the student wrote it, shortened (JSON's true/false, not Python's True/False)."""
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…'"
