"""Paths and helpers shared by the plug-in's tests (run from any folder)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from typing import Any

ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(os.path.dirname(ENGINE_DIR))
CLI = os.path.join(REPO_ROOT, "dist", "cli.js")
FIXTURE_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "verl-run")
RULES_DIR = os.path.join(REPO_ROOT, "media", "tasks")
MATH_RULES = os.path.join(ENGINE_DIR, "examples", "math.rewards.json")

if ENGINE_DIR not in sys.path:
    sys.path.insert(0, ENGINE_DIR)


def node() -> str:
    found = os.environ.get("BNPO_NODE") or shutil.which("node")
    if not found:
        raise unittest.SkipTest("node is not on PATH")  # pragma: no cover - node runs npm test itself
    return found


def require_cli(case: unittest.TestCase) -> None:
    """The TypeScript CLI is part of what these tests check: missing is a failure, not a skip."""
    if not os.path.exists(CLI):
        case.fail(f"{CLI} is missing: build it first (node esbuild.js)")


def run_cli(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([node(), CLI, *args], input=stdin, capture_output=True, text=True, timeout=120)


def cli_json(args: list[str]) -> Any:
    done = run_cli(args)
    if done.returncode != 0:
        raise AssertionError(f"bnpo {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return json.loads(done.stdout)


_checker: list[str] = []


def check_run_dir(case: unittest.TestCase, run_dir: str) -> Any:
    """Reads ``run_dir`` with the studio's own schemas (test/tools/checkRunDir.ts, bundled once by esbuild) and
    returns its summary ``{"run": run.json, "records": {"metrics": N, ...}}``; a refused record fails ``case``."""
    if not _checker:
        out = os.path.join(tempfile.mkdtemp(prefix="bnpo-check-"), "checkRunDir.js")
        esbuild = os.path.join(REPO_ROOT, "node_modules", ".bin", "esbuild")
        source = os.path.join(REPO_ROOT, "test", "tools", "checkRunDir.ts")
        built = subprocess.run([esbuild, source, "--bundle", "--platform=node", f"--outfile={out}", "--log-level=error"],
                               capture_output=True, text=True, timeout=120)
        if built.returncode != 0:
            case.fail(f"cannot bundle {source}: {built.stderr.strip()}")
        _checker.append(out)
    done = subprocess.run([node(), _checker[0], run_dir], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        case.fail(f"the studio refuses {run_dir}:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout)
