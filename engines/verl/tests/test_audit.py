"""The run audit's Python port (bnpo_verl.audit) against its TypeScript definition (src/core/rules/auditRun.ts):
the same batch of steps, replayed by `bnpo rules audit --run-samples`, gives the same numbers."""

from __future__ import annotations

import json
import math
import os
import tempfile
import unittest
from typing import Any

from support import REPO_ROOT, require_cli, run_cli  # noqa: E402

from bnpo_verl.audit import RunAudit, all_boxed, all_numbers, all_tags, load_audit_setup, repeat_rate  # noqa: E402

RULES = os.path.join(REPO_ROOT, "test", "fixtures", "audit", "hackable.rewards.json")
CAP = 12

# Three steps of two groups of four, (text, format, accuracy): the texts drift towards what the hackable rules
# reward, and format's pass rate falls while accuracy's rises.
TEXTS = [
    [("<think>a</think><answer>7</answer>", 1, 1), ("<think>b</think><answer>8</answer>", 1, 0), ("no", 0, 0),
     ("7 then 9", 0, 1)],
    [("<think></think><answer></answer> 7", 1, 1), ("<think></think><answer></answer> 7", 1, 1), ("7 7 7 7 7", 0, 1),
     ("x = 3, y = 1,234", 0, 0)],
    [("7 or 8 or 9", 0, 1), ("7 or 8 or 9", 0, 1), ("go go go go go go go", 0, 0), ("\\boxed{7} \\boxed{7}", 0, 1),
     ("go go go go go go go", 0, 0), ("7 or 8 or 9", 0, 1)],
]


def items(step: int) -> list[dict[str, Any]]:
    out = []
    for group in range(2):
        for j, (text, fmt, acc) in enumerate(TEXTS[step]):
            out.append({"text": text + " " * (j * group), "tokens": len(text) // (2 - group), "group": group,
                        "rewards": {"format": fmt, "accuracy": acc}})
            if group == 1 and j < 2:
                # an engine that says whether the completion was cut off overrides the length-based guess
                out[-1]["truncated"] = j == 0
    return out


def close(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: {a} != {b}"
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


class AuditPortTest(unittest.TestCase):
    def test_extractor_candidates_match_the_typescript_scanners(self) -> None:
        self.assertEqual(all_numbers("3 then -4.5, 1,234 and 2e-3 or 3/4 x1"), ["3", "-4.5", "1,234", "2e-3", "3/4"])
        self.assertEqual(all_boxed("\\boxed{1} \\boxed {\\frac{1}{2}} \\fbox{x"), ["1", "\\frac{1}{2}"])
        self.assertEqual(all_tags("<a>1</a> <a>2</a> </a>", "a"), ["1", "2"])
        self.assertAlmostEqual(repeat_rate("a b c a b c a b c"), 1 - 3 / 7)

    def test_same_numbers_as_the_typescript_definition(self) -> None:
        require_cli(self)
        setup = load_audit_setup(RULES, CAP, "accuracy")
        self.assertEqual(setup["extractors"], {"accuracy": {"type": "regex", "pattern": "^[^0-9]*([0-9]+)"}})
        audit = RunAudit(setup)
        python = []
        records = []
        for step in range(3):
            batch = items(step)
            record, flags = audit.observe(step + 1, batch)
            python.append({"v": 1, **record})
            self.assertEqual(record["flagged"], sum(1 for f in flags if f))
            for group in range(2):
                rows = [it for it in batch if it["group"] == group]
                records.append({
                    "v": 1, "step": step + 1, "promptId": f"p{group}", "prompt": "q", "sample": {"answer": "7"},
                    "completions": [{"text": it["text"], "tokens": it["tokens"], "rewards": it["rewards"],
                                     **({"truncated": it["truncated"]} if "truncated" in it else {}),
                                     "reasons": {}, "advantage": 0.0, "correct": it["rewards"]["accuracy"] == 1}
                                    for it in rows],
                })
        with tempfile.TemporaryDirectory() as tmp:
            samples = os.path.join(tmp, "samples.jsonl")
            with open(samples, "w", encoding="utf-8") as f:
                f.write("".join(json.dumps(r) + "\n" for r in records))
            r = run_cli(["rules", "audit", RULES, "--run-samples", samples, "--cap-tokens", str(CAP), "--accuracy", "accuracy"])
        self.assertEqual(r.returncode, 0, r.stderr)
        typescript = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual(len(typescript), 3)
        close(python, typescript)
        # the batch moves: something to compare beyond zeros
        self.assertGreater(python[2]["duplicateShare"], python[2]["duplicateFailingShare"])
        self.assertGreater(python[2]["duplicateFailingShare"], 0)
        self.assertGreater(python[2]["repeatRate"], python[0]["repeatRate"])
        self.assertNotEqual(python[2]["length"]["meanDrift"], 1)
        self.assertNotEqual(python[2]["formatNotAccuracyRise"], 0)
        self.assertNotEqual(python[0]["length"]["atCap"], 0)
        self.assertTrue(python[1]["opposed"] or python[2]["opposed"])


if __name__ == "__main__":
    unittest.main()
