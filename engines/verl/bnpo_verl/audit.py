"""The run audit for the verl and TRL sinks: a port of src/core/rules/auditRun.ts (the one definition, documented
there and in docs/reward-audit.md). test_audit.py checks that both give the same numbers on the same batch.

Per step: length mean/p95 (tokens) and their ratio to the first audited step, the share truncated at the cap;
duplicates within prompt groups; the mean word-trigram repeat rate; per-rule pass rates, the rule pairs whose pass
rates moved apart since the start, the share passing format but failing accuracy and its rise since the start; per
answer rule the share of completions
where its extractor found several distinct answers. Flags mark single completions.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable

OPPOSED_MIN = 0.1
REPETITIVE_AT = 0.5
NGRAM = 3

# JavaScript's \s, so that words and trimming agree with the TypeScript definition exactly.
_WS = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_SPLIT = re.compile(f"[{_WS}]+")
_TRIM = re.compile(f"^[{_WS}]+|[{_WS}]+$")
_NUMBER = re.compile(
    r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?(?:/\d+)?|(?<![\w.])-?\.\d+", re.ASCII
)


def trim(text: str) -> str:
    return _TRIM.sub("", text)


def all_numbers(text: str) -> list[str]:
    return [m.group(0) for m in _NUMBER.finditer(text)]


def all_boxed(text: str) -> list[str]:
    openings: set[int] = set()
    for command in ("\\boxed", "\\fbox"):
        at = text.find(command)
        while at >= 0:
            i = at + len(command)
            while i < len(text) and text[i] in " \t":
                i += 1
            if i < len(text) and text[i] == "{":
                openings.add(i)
            at = text.find(command, at + len(command))
    if not openings:
        return []
    stack: list[int] = []
    found: list[tuple[int, str]] = []
    j = 0
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 1
        elif c == "{":
            stack.append(j)
        elif c == "}" and stack:
            start = stack.pop()
            if start in openings:
                found.append((start, text[start + 1 : j]))
        j += 1
    return [content for _, content in sorted(found)]


def all_tags(text: str, tag: str) -> list[str]:
    open_tag, close_tag = f"<{tag}>", f"</{tag}>"
    found: list[str] = []
    start = 0
    close = text.find(close_tag)
    while close >= 0:
        opened = text.rfind(open_tag, 0, close)
        if opened >= start:
            found.append(text[opened + len(open_tag) : close])
        start = close + len(close_tag)
        close = text.find(close_tag, close + 1)
    return found


def candidate_finder(extractor: Mapping[str, Any]) -> Callable[[str], list[str]]:
    kind = extractor.get("type")
    if kind == "lastNumber":
        return all_numbers
    if kind == "boxed":
        return all_boxed
    if kind == "tag":
        tag = str(extractor.get("tag", "answer"))
        return lambda text: all_tags(text, tag)
    if kind == "regex":
        flags = 0
        for f in str(extractor.get("flags", "")):
            flags |= {"i": re.I, "m": re.M, "s": re.S}[f]
        pattern = re.compile(str(extractor["pattern"]), flags)
        group = extractor.get("group", 1)
        return lambda text: [g for m in pattern.finditer(text) if (g := m.group(group)) is not None]
    return lambda text: []


def repeat_rate(text: str, n: int = NGRAM) -> float:
    words = [w for w in _SPLIT.split(text) if w]
    count = len(words) - n + 1
    if count <= 0:
        return 0.0
    return 1 - len({" ".join(words[i : i + n]) for i in range(count)}) / count


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def opposed_pairs(rules: Sequence[str], now: Mapping[str, float], start: Mapping[str, float]) -> list[dict[str, Any]]:
    pairs = []
    for i, a in enumerate(rules):
        for b in rules[i + 1 :]:
            da, db = now.get(a, 0.0) - start.get(a, 0.0), now.get(b, 0.0) - start.get(b, 0.0)
            if da * db < 0 and abs(da) >= OPPOSED_MIN and abs(db) >= OPPOSED_MIN:
                pairs.append({"a": a, "b": b, "deltaA": da, "deltaB": db})
    return pairs


def _strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas (a rules file) as plain JSON."""
    out: list[str] = []
    i, in_string = 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        else:
            out.append(c)
        i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def audit_setup(rules_file: Mapping[str, Any], cap: float, accuracy_rule: str | None) -> dict[str, Any]:
    """As auditSetup: reward rules in order, the format and accuracy roles, the answer rules' extractors."""
    rewarded = [r for r in rules_file.get("rules", []) if r.get("reward", True)]
    fmt = next((r for r in rewarded if r.get("name") == "format"), None) or next(
        (r for r in rewarded if r.get("kind") == "format"), None
    )
    first_answer = next((r["name"] for r in rewarded if r.get("kind") == "answer"), None)
    return {
        "cap": cap,
        "rules": [r["name"] for r in rewarded],
        "formatRule": fmt["name"] if fmt else None,
        "accuracyRule": accuracy_rule or first_answer,
        "extractors": {r["name"]: r["extract"] for r in rewarded if r.get("kind") == "answer"},
    }


def load_audit_setup(path: str, cap: float, accuracy_rule: str | None) -> dict[str, Any]:
    with open(path, encoding="utf-8-sig") as f:
        return audit_setup(json.loads(_strip_jsonc(f.read())), cap, accuracy_rule)


def _truncated(item: Mapping[str, Any], cap: float) -> bool:
    """As isTruncated: cut off at the cap without an end token; engines that do not say count length >= cap."""
    truncated = item.get("truncated")
    return bool(truncated) if truncated is not None else item["tokens"] >= cap


class RunAudit:
    """Audits one run's steps in order; the first step observed is the start drift is measured from."""

    def __init__(self, setup: Mapping[str, Any]) -> None:
        self.setup = dict(setup)
        self.start: dict[str, Any] | None = None
        self.finders = {rule: candidate_finder(ex) for rule, ex in self.setup["extractors"].items()}

    def observe(self, step: int, items: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], list[list[str]]]:
        """``items``: {"text", "tokens", "group", "rewards": {rule: 0|1}} and optionally "truncated", per completion.
        Returns (record, flags)."""
        cap = self.setup["cap"]
        rules = self.setup["rules"]
        flags: list[list[str]] = [[] for _ in items]
        lengths = [float(it["tokens"]) for it in items]
        repeats = [repeat_rate(it["text"]) for it in items]
        for i, it in enumerate(items):
            if _truncated(it, cap):
                flags[i].append("atCap")
            if repeats[i] >= REPETITIVE_AT:
                flags[i].append("repetitive")
        accuracy = self.setup["accuracyRule"]
        seen: dict[Any, set[str]] = {}
        dupes = 0
        dupes_failing = 0
        for i, it in enumerate(items):
            group = seen.setdefault(it["group"], set())
            key = trim(it["text"])
            if key in group:
                dupes += 1
                if accuracy is None or it["rewards"].get(accuracy) != 1:
                    dupes_failing += 1
                flags[i].append("duplicate")
            else:
                group.add(key)
        pass_rates = {r: _mean([float(it["rewards"].get(r, 0)) for it in items]) for r in rules}
        f, a = self.setup["formatRule"], self.setup["accuracyRule"]
        format_not_accuracy = (
            None
            if f is None or a is None or f == a
            else _mean([1.0 if it["rewards"].get(f) == 1 and it["rewards"].get(a) != 1 else 0.0 for it in items])
        )
        multiple: dict[str, float] = {}
        for rule, find in self.finders.items():
            n = 0
            for i, it in enumerate(items):
                if len({trim(c) for c in find(it["text"])}) < 2:
                    continue
                n += 1
                if it["rewards"].get(rule) == 1 and "multipleCandidates" not in flags[i]:
                    flags[i].append("multipleCandidates")
            multiple[rule] = n / len(items) if items else 0.0
        mean_len, p95 = _mean(lengths), percentile(lengths, 0.95)
        if self.start is None:
            self.start = {"mean": mean_len, "p95": p95, "passRates": pass_rates, "formatNotAccuracy": format_not_accuracy}
        start = self.start
        record = {
            "step": step,
            "completions": len(items),
            "length": {
                "mean": mean_len,
                "p95": p95,
                "atCap": _mean([1.0 if _truncated(it, cap) else 0.0 for it in items]),
                "meanDrift": mean_len / start["mean"] if start["mean"] > 0 else None,
                "p95Drift": p95 / start["p95"] if start["p95"] > 0 else None,
            },
            "duplicateShare": dupes / len(items) if items else 0.0,
            "duplicateFailingShare": dupes_failing / len(items) if items else 0.0,
            "repeatRate": _mean(repeats),
            "passRates": pass_rates,
            "formatNotAccuracy": format_not_accuracy,
            "formatNotAccuracyRise": (
                None
                if format_not_accuracy is None or start.get("formatNotAccuracy") is None
                else format_not_accuracy - start["formatNotAccuracy"]
            ),
            "opposed": opposed_pairs(rules, pass_rates, start["passRates"]),
            "multipleCandidates": multiple,
            "flagged": sum(1 for fl in flags if fl),
        }
        return record, flags
