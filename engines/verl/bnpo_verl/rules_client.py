"""A client for ``bnpo rules serve --rules FILE``: the studio's rule engine as a long-lived child process.

The protocol (src/protocol/rulesServe.ts): the server first writes ``{"type": "ready", "rules", "weights",
"rulesFile"}``; then, for every request line ``{"id", "items": [{"completion", "sample"}]}`` on its stdin, it
writes one line ``{"type": "result", "id", "results": [...]}`` (or ``{"type": "error", "id", "error"}``) in
request order. Every message received is checked against that contract before it is used.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class RulesServerError(RuntimeError):
    """The rules server could not start, broke the protocol, rejected a request or died."""


@dataclass(frozen=True)
class ScoredCompletion:
    """One result line: per-rule rewards (0 or 1), reasons, rules that threw, and the weighted total."""

    rewards: dict[str, int]
    reasons: dict[str, str]
    errors: dict[str, str]
    total: float


def default_command(rules_file: str, cli: str | None = None, dataset: str | None = None) -> list[str]:
    """The server's command line. ``cli`` is the studio CLI: a ``.js`` bundle (run with node) or an executable.

    Without ``cli``, BNPO_CLI is used (a command line, split like a shell would), else ``bnpo`` on PATH.
    """
    cli = cli or os.environ.get("BNPO_CLI") or "bnpo"
    if cli.endswith(".js"):
        base = [os.environ.get("BNPO_NODE", "node"), cli]
    else:
        base = shlex.split(cli)
    argv = [*base, "rules", "serve", "--rules", rules_file]
    if dataset:
        argv += ["--dataset", dataset]
    return argv


def _expect(cond: bool, message: str) -> None:
    if not cond:
        raise RulesServerError(message)


def _parse_result(value: Any, where: str) -> ScoredCompletion:
    _expect(isinstance(value, dict), f"{where}: a result is not an object")
    rewards = value.get("rewards")
    _expect(
        isinstance(rewards, dict) and all(v in (0, 1) and not isinstance(v, bool) for v in rewards.values()),
        f"{where}: 'rewards' must map rule names to 0 or 1",
    )
    reasons = value.get("reasons")
    _expect(isinstance(reasons, dict) and all(isinstance(v, str) for v in reasons.values()), f"{where}: bad 'reasons'")
    errors = value.get("errors", {})
    _expect(isinstance(errors, dict) and all(isinstance(v, str) for v in errors.values()), f"{where}: bad 'errors'")
    total = value.get("total")
    _expect(isinstance(total, (int, float)) and not isinstance(total, bool), f"{where}: 'total' must be a number")
    return ScoredCompletion(dict(rewards), dict(reasons), dict(errors), float(total))


class RulesServer:
    """One ``bnpo rules serve`` process; ``score`` sends a whole batch as one request.

    Thread-safe (one request in flight at a time). Close it, or use it as a context manager.
    """

    def __init__(
        self,
        rules_file: str,
        *,
        command: Sequence[str] | None = None,
        cli: str | None = None,
        dataset: str | None = None,
        env: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.rules_file = rules_file
        self.command = list(command) if command is not None else default_command(rules_file, cli, dataset)
        self._lock = threading.Lock()
        self._next_id = 0
        self._stderr: deque[str] = deque(maxlen=40)
        try:
            self._proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
                env=dict(env) if env is not None else None,
            )
        except OSError as err:
            raise RulesServerError(f"cannot start the rules server `{shlex.join(self.command)}`: {err}") from err
        self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_thread.start()
        try:
            ready = self._read_message(start_timeout)
            if ready.get("type") != "ready":
                raise RulesServerError(f"the rules server's first line is not 'ready': {json.dumps(ready)[:200]}")
        except RulesServerError:
            self.close()
            raise
        rules = ready.get("rules")
        weights = ready.get("weights")
        _expect(isinstance(rules, list) and all(isinstance(n, str) for n in rules), "ready: 'rules' must be a list of names")
        _expect(isinstance(weights, dict), "ready: 'weights' must be an object")
        self.rules: list[str] = list(rules)
        self.weights: dict[str, float] = {str(k): float(v) for k, v in weights.items()}

    def _drain_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line.rstrip("\n"))

    def _died(self, what: str) -> RulesServerError:
        try:
            code: int | None = self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        self._stderr_thread.join(timeout=1)
        tail = "\n".join(self._stderr) or "(no output on stderr)"
        state = f"exited with status {code}" if code is not None else "stopped answering"
        return RulesServerError(f"the rules server `{shlex.join(self.command)}` {state} {what}:\n{tail}")

    def _read_message(self, timeout: float | None) -> dict[str, Any]:
        assert self._proc.stdout is not None
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self._proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            self._proc.kill()
            raise self._died(f"(no line within {timeout} s)")
        line = box[0] if box else ""
        if line == "":
            raise self._died("before answering")
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            raise RulesServerError(f"the rules server wrote a line that is not JSON ({err}): {line[:200]!r}") from err
        _expect(isinstance(value, dict), f"the rules server wrote a non-object line: {line[:200]!r}")
        return value

    def score(
        self,
        completions: Sequence[str],
        samples: Sequence[Mapping[str, Any]],
        timeout: float | None = 600.0,
    ) -> list[ScoredCompletion]:
        """Scores completion i against sample i (the dataset row the rules read, e.g. ``{"answer": ...}``)."""
        if len(completions) != len(samples):
            raise ValueError(f"{len(completions)} completions but {len(samples)} samples")
        with self._lock:
            if self._proc.poll() is not None:
                raise self._died("before this request")
            request_id = self._next_id
            self._next_id += 1
            request = {
                "id": request_id,
                "items": [{"completion": c, "sample": dict(s)} for c, s in zip(completions, samples)],
            }
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write(json.dumps(request, ensure_ascii=False, default=_jsonable) + "\n")
                self._proc.stdin.flush()
            except BrokenPipeError as err:
                raise self._died("while reading a request") from err
            message = self._read_message(timeout)
        if message.get("id") != request_id:
            raise RulesServerError(f"request {request_id} was answered with id {message.get('id')!r}")
        if message.get("type") == "error":
            raise RulesServerError(f"the rules server rejected request {request_id}: {message.get('error')}")
        _expect(message.get("type") == "result", f"unexpected message type {message.get('type')!r}")
        results = message.get("results")
        _expect(isinstance(results, list) and len(results) == len(completions), "results do not match the items")
        return [_parse_result(v, f"request {request_id}, item {i}") for i, v in enumerate(results)]

    def close(self, timeout: float = 5.0) -> int | None:
        """Ends the server: stdin closed (it exits at end of input), then SIGTERM, then SIGKILL."""
        proc = self._proc
        if proc.stdin is not None and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                code = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
        self._stderr_thread.join(timeout=1)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass
        return code

    def __enter__(self) -> RulesServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _jsonable(value: Any) -> Any:
    """Dataset rows from parquet carry numpy scalars and arrays; the rule engine needs plain JSON."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    return str(value)
