"""The run-directory sink: a verl run written in the studio's run-directory format (src/protocol/runDir.ts).

run.json (replaced atomically), metrics.jsonl, groups.jsonl, samples.jsonl, eval.jsonl, audit.jsonl (the run
audit of bnpo_verl.audit, written before the step's metrics) and trainer.log, each
JSONL record appended as one whole line and flushed, so the studio follows a verl run like a built-in one.

Resuming: verl continues at the step after its checkpoint and logs that step first. On its first write the sink
keeps every record before that step, drops the ones the checkpoint does not hold (and a torn last line), and
appends from there, continuing ``wall`` and ``skippedSteps``; the curves continue (verl's own file logger
reopens its file with mode "w" and loses them).

Pure Python: verl calls it through ``bnpo_verl.plugin`` (a tracking backend named ``bnpo``).
"""

from __future__ import annotations

import atexit
import json
import math
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from . import exchange
from .audit import RunAudit, load_audit_setup
from .exchange import ScoredBatch, StepStats

RUN_DIR_VERSION = 1
FILES = {
    "run": "run.json",
    "metrics": "metrics.jsonl",
    "groups": "groups.jsonl",
    "samples": "samples.jsonl",
    "eval": "eval.jsonl",
    "audit": "audit.jsonl",
    "log": "trainer.log",
}
STREAMS = ("metrics", "groups", "samples", "eval", "audit")


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def finite(value: Any, default: float | None = 0.0) -> float | None:
    """JSON has no NaN/inf and the studio's schemas refuse them: a non-finite metric becomes ``default``."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return default
    return x if math.isfinite(x) else default


def jsonable(value: Any) -> Any:
    """Plain JSON for dataset rows that carry numpy scalars and arrays."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int, bool)):
        return value
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return jsonable(tolist())
    return str(value)


def _get(config: Mapping[str, Any], path: str, default: Any = None) -> Any:
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return default if node is None else node


def _first(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and value and isinstance(value[0], str):
        return value[0]
    return None


def _positive_int(value: Any, default: int) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 1 else default


def run_config_from_verl(config: Mapping[str, Any], rules_file: str, sample_every: int) -> dict[str, Any]:
    """The studio's RunConfig (src/protocol/runConfig.ts, every field filled) for a verl config.

    The schema describes the built-in trainer; fields that have no verl counterpart keep their defaults.
    """
    actor = _get(config, "actor_rollout_ref.actor", {})
    rollout = _get(config, "actor_rollout_ref.rollout", {})
    optim = _get(actor, "optim", {})
    train = _first(_get(config, "data.train_files")) or "unknown.parquet"
    held_out = _first(_get(config, "data.val_files"))
    dataset: dict[str, Any] = {"train": train, "heldOutFraction": 0.1}
    if held_out:
        dataset["heldOut"] = held_out
    steps = _get(config, "trainer.total_training_steps") or _get(optim, "total_training_steps")
    top_p = finite(_get(rollout, "top_p", 1.0), 1.0) or 1.0
    out: dict[str, Any] = {
        "name": str(_get(config, "trainer.experiment_name", "verl")) or "verl",
        "task": "addition",
        "dataset": dataset,
        "rules": rules_file,
        "estimator": "bnpo",
        "groupSize": max(2, int(_get(rollout, "n", 2))),
        "promptsPerStep": _positive_int(_get(config, "data.train_batch_size"), 16),
        "steps": int(steps) if isinstance(steps, (int, float)) and steps > 0 else 0,
        "lr": finite(_get(optim, "lr", 1e-6), 1e-6),
        "weightDecay": max(0.0, finite(_get(optim, "weight_decay", 0.0)) or 0.0),
        "gradClip": finite(_get(optim, "clip_grad", _get(actor, "grad_clip", 1.0)), 1.0) or 1.0,
        "clip": {
            "low": finite(_get(actor, "clip_ratio_low", _get(actor, "clip_ratio", 0.2)), 0.2),
            "high": finite(_get(actor, "clip_ratio_high", _get(actor, "clip_ratio", 0.2)), 0.2),
            "dual": finite(_get(actor, "clip_ratio_c", 3.0), 3.0),
        },
        "temperature": finite(_get(rollout, "temperature", 1.0), 1.0) or 1.0,
        "topP": top_p if 0 < top_p <= 1 else 1.0,
        "eval": {
            "every": _positive_int(_get(config, "trainer.test_freq"), 10),
            "temperature": max(0.0, finite(_get(rollout, "val_kwargs.temperature", 0.0)) or 0.0),
            "size": 200,
        },
        "sampleEvery": max(1, sample_every),
        "checkpointEvery": _positive_int(_get(config, "trainer.save_freq"), 20),
        "model": {"dModel": 64, "layers": 2, "heads": 4, "mlpRatio": 4, "tiedOutput": True},
        "sft": {"maxSteps": 0, "targetAccuracy": 0.3, "batchSize": 64, "lr": 3e-3, "evalEvery": 25},
        "seed": _positive_int(_get(config, "data.seed"), 1),
        "backend": "auto",
    }
    return out


def _truncated(stats: StepStats, i: int) -> dict[str, bool]:
    """The completion's "truncated" field where the engine said (TRL), else nothing (the audit counts length >= cap)."""
    return {} if stats.truncated is None else {"truncated": bool(stats.truncated[i])}


class RunDirSink:
    """Writes one run directory; ``log(data, step)`` is verl's tracking-backend call."""

    def __init__(
        self,
        run_dir: str,
        *,
        run_config: Mapping[str, Any],
        rules: Sequence[str],
        rules_file: str,
        total_steps: int,
        estimator: str = "bnpo",
        sample_every: int = 5,
        sample_groups: int = 4,
        config_file: str | None = None,
        clock: Callable[[], float] = time.time,
        pid: int | None = None,
        host: str | None = None,
        max_response_length: int | None = None,
    ) -> None:
        self.dir = run_dir
        self.run_config = dict(run_config)
        self.rules = list(rules)
        self.rules_file = rules_file
        self.total_steps = total_steps
        self.estimator = estimator
        self.sample_every = max(1, sample_every)
        self.sample_groups = max(1, sample_groups)
        self.config_file = config_file
        self.clock = clock
        self.pid = os.getpid() if pid is None else pid
        # The studio checks the pid only on this host: a driver on a Ray cluster is not a process of the viewer's.
        self.host = socket.gethostname() if host is None else host
        self.started = clock()
        self.wall_offset = 0.0
        self.skipped_steps = 0
        self.step = 0
        self.base_accuracy: float | None = None
        self.final_accuracy: float | None = None
        self.max_response_length = max_response_length
        self._audit: RunAudit | None = None
        self._resumed = False
        self._trained_here = False
        os.makedirs(run_dir, exist_ok=True)
        self.info = self._initial_info()
        self._write_info()

    # -- files ----------------------------------------------------------------------------------------------------

    def _path(self, name: str) -> str:
        return os.path.join(self.dir, FILES[name])

    def _initial_info(self) -> dict[str, Any]:
        now = iso(self.clock())
        previous: dict[str, Any] | None = None
        try:
            with open(self._path("run"), encoding="utf-8") as f:
                loaded = json.load(f)
            if isinstance(loaded, dict) and loaded.get("v") == RUN_DIR_VERSION:
                previous = loaded
        except (OSError, ValueError):
            previous = None
        info: dict[str, Any] = {
            "v": RUN_DIR_VERSION,
            "id": os.path.basename(os.path.normpath(self.dir)) or uuid.uuid4().hex[:12],
            "status": "running",
            "phase": "rl",
            "config": self.run_config,
            "configFile": self.config_file,
            "rules": self.rules,
            "rulesFile": self.rules_file,
            "backend": None,
            "createdAt": now,
            "updatedAt": now,
            "finishedAt": None,
            "pid": self.pid,
            "host": self.host,
            "step": 0,
            "totalSteps": max(0, int(self.total_steps)),
            "baseAccuracy": None,
            "finalAccuracy": None,
            "error": None,
        }
        if previous is not None:
            # A resumed run: same identity, and the step it had reached until verl logs again.
            for key in ("id", "createdAt", "baseAccuracy", "step"):
                if key in previous:
                    info[key] = previous[key]
            self.base_accuracy = previous.get("baseAccuracy")
        return info

    def _write_info(self) -> None:
        self.info["updatedAt"] = iso(self.clock())
        tmp = f"{self._path('run')}.tmp-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(self.info, indent=2, ensure_ascii=False) + "\n")
        os.replace(tmp, self._path("run"))

    def _append(self, stream: str, record: Mapping[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"
        # One write per whole line in append mode: a reader sees whole records or a torn last line.
        with open(self._path(stream), "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()

    def write_log(self, line: str) -> None:
        with open(self._path("log"), "a", encoding="utf-8") as f:
            f.write(f"{iso(self.clock())} {line}\n")

    def _resume_at(self, first_step: int, training: bool) -> None:
        """Keeps the records the checkpoint holds: metrics/groups/samples before ``first_step`` (through it for a
        validation-only log at a checkpoint step), evaluations before it; drops torn lines."""
        dropped = 0
        for stream in STREAMS:
            path = self._path(stream)
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            lines = text.split("\n")
            keep: list[str] = []
            for i, line in enumerate(lines):
                if line.strip() == "":
                    continue
                torn = i == len(lines) - 1
                try:
                    record = json.loads(line) if not torn else None
                except ValueError:
                    record = None
                step = record.get("step") if isinstance(record, dict) else None
                limit = first_step if (training or stream == "eval") else first_step + 1
                if not isinstance(step, int) or step >= limit:
                    dropped += 1
                    continue
                keep.append(line)
                if stream == "metrics":
                    record = json.loads(line)
                    self.wall_offset = float(record.get("wall", 0.0))
                    self.skipped_steps = int(record.get("skippedSteps", 0))
            tmp = f"{path}.tmp-{os.getpid()}"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write("".join(line + "\n" for line in keep))
            os.replace(tmp, path)
        if dropped or self.wall_offset:
            self.write_log(f"resumed at step {first_step}; kept earlier records, dropped {dropped} the checkpoint does not hold")

    # -- verl's tracking-backend interface -------------------------------------------------------------------------

    def log(self, data: Mapping[str, Any], step: int) -> None:
        """One call per ``Tracking.log``: a training step (metrics, groups, samples) and/or validation results."""
        stats = exchange.take_step()
        validation = exchange.take_unclaimed()
        training = stats is not None or "training/global_step" in data
        if not self._resumed:
            self._resumed = True
            self._resume_at(int(step), training)
        if validation:
            self._write_eval(validation, int(step), training)
        if training:
            self._write_step(data, int(step), stats)
        self._write_info()
        if training and self.total_steps and int(step) >= self.total_steps:
            # verl returns from fit() right after logging its last step, and Ray may end the driver's process
            # without running exit handlers: the run is complete now.
            self.finish("completed")

    def finish(self, status: str | None = None, error: str | None = None) -> None:
        """Marks the run finished: completed when the last step was reached, else stopped (or failed with error)."""
        if self.info["finishedAt"] is not None:
            return
        if status is None:
            status = "failed" if error else ("completed" if self.total_steps and self.step >= self.total_steps else "stopped")
        self.info.update(
            status=status,
            phase="done",
            finishedAt=iso(self.clock()),
            finalAccuracy=self.final_accuracy,
            error=None if error is None else {"message": error},
        )
        self._write_info()
        self.write_log(f"run {status} at step {self.step}")

    # -- records ---------------------------------------------------------------------------------------------------

    def _write_step(self, data: Mapping[str, Any], step: int, stats: StepStats | None) -> None:
        now = self.clock()
        batch = stats.batch if stats is not None else None
        rules = batch.rules if batch is not None else (stats.result.rules if stats is not None else ["reward"])
        score_mean = finite(data.get("critic/score/mean"), 0.0) or 0.0
        if batch is not None:
            rows = len(batch.totals)
            rewards = {r: sum(row[r] for row in batch.rewards) / rows for r in rules}
            reward = sum(batch.totals) / rows
            accuracy = rewards.get(batch.accuracy_rule, 0.0)
            accuracy_rule = batch.accuracy_rule
        else:
            rewards = {r: score_mean for r in rules}
            reward = score_mean
            accuracy = score_mean
            accuracy_rule = rules[0]
        grad_norm = finite(data.get("actor/grad_norm"), None)
        skipped = "actor/grad_norm" in data and grad_norm is None
        if skipped:
            self.skipped_steps += 1
        beta: dict[str, Any] = {}
        zero_share = 0.0
        if stats is not None:
            for name, s in stats.result.stats.items():
                beta[name] = {
                    "a": finite(s.fit.a, None),
                    "b": finite(s.fit.b, None),
                    "alpha": s.fit.alpha,
                    "beta": s.fit.beta,
                    "guard": s.fit.guard,
                }
            chosen = stats.result.stats.get(accuracy_rule) or next(iter(stats.result.stats.values()))
            zero_share = chosen.zero_variance_share

        def ms(key: str) -> float:
            return (finite(data.get(key), 0.0) or 0.0) * 1000

        record = {
            "v": RUN_DIR_VERSION,
            "step": step,
            "time": iso(now),
            "wall": round(self.wall_offset + (now - self.started), 3),
            "estimator": self.estimator,
            "rewards": rewards,
            "reward": reward,
            "accuracy": accuracy,
            "loss": finite(data.get("actor/pg_loss"), None),
            "clipFraction": finite(data.get("actor/pg_clipfrac"), 0.0),
            "gradNorm": grad_norm,
            "entropy": finite(data.get("actor/entropy"), 0.0),
            "completionLength": finite(data.get("response_length/mean"), 0.0),
            "zeroVarianceShare": zero_share,
            "beta": beta,
            "tokensPerSecond": finite(data.get("perf/throughput"), 0.0),
            "skipped": skipped,
            "skippedSteps": self.skipped_steps,
            "lr": finite(data.get("actor/lr"), self.run_config.get("lr", 0.0)),
            "timings": {
                "sampling": ms("timing_s/gen"),
                "scoring": ms("timing_s/reward"),
                # verl times compute_advantage itself; our own measurement only when it did not.
                "advantage": ms("timing_s/adv") if "timing_s/adv" in data or stats is None else stats.advantage_ms,
                "update": ms("timing_s/update_actor"),
            },
        }
        flags = self._write_audit(step, stats, batch) if stats is not None and batch is not None else None
        self._append("metrics", record)
        if stats is not None:
            self._append(
                "groups",
                {
                    "v": RUN_DIR_VERSION,
                    "step": step,
                    "rules": list(stats.result.rules),
                    "groups": [
                        {"id": pid, "pHat": {r: s.p_hat[g] for r, s in stats.result.stats.items()}}
                        for g, pid in enumerate(stats.prompt_ids)
                    ],
                },
            )
            if batch is not None and step % self.sample_every == 0:
                self._write_samples(step, stats, batch, flags)
        self.step = step
        self.info.update(step=step, phase="rl")
        self._trained_here = True
        self.write_log(f"step {step}: reward {reward:.4f}, accuracy {accuracy:.4f}")

    def _write_audit(self, step: int, stats: StepStats, batch: ScoredBatch) -> list[list[str]]:
        """Appends the step's audit record; returns each row's flags (for samples.jsonl)."""
        if self._audit is None:
            cap = float(self.max_response_length) if self.max_response_length else math.inf
            try:
                setup = load_audit_setup(self.rules_file, cap, batch.accuracy_rule)
            except (OSError, ValueError, KeyError) as err:
                self.write_log(f"audit: cannot read the rule file's extractors ({err}); counting no candidates")
                setup = {"cap": cap, "rules": list(batch.rules), "formatRule": "format" if "format" in batch.rules else None,
                         "accuracyRule": batch.accuracy_rule, "extractors": {}}
            setup["rules"] = [r for r in setup["rules"] if r in batch.rules] or list(batch.rules)
            self._audit = RunAudit(setup)
            # a resumed run measures drift from the run's first step, which the kept audit.jsonl holds
            if os.path.exists(self._path("audit")):
                with open(self._path("audit"), encoding="utf-8") as f:
                    first = f.readline()
                if first.strip():
                    rec = json.loads(first)
                    self._audit.start = {"mean": rec["length"]["mean"], "p95": rec["length"]["p95"], "passRates": rec["passRates"],
                                         "formatNotAccuracy": rec.get("formatNotAccuracy")}
        of_row = stats.result.group_of_row.tolist()
        items = [
            {"text": batch.completions[i], "tokens": int(stats.tokens[i]), "group": of_row[i], "rewards": batch.rewards[i],
             **_truncated(stats, i)}
            for i in range(len(batch.completions))
        ]
        record, flags = self._audit.observe(step, items)
        self._append("audit", {"v": RUN_DIR_VERSION, **record})
        return flags

    def _write_samples(self, step: int, stats: StepStats, batch: ScoredBatch, flags: list[list[str]] | None = None) -> None:
        advantages = stats.result.advantages.tolist()
        of_row = stats.result.group_of_row.tolist()
        for g, pid in enumerate(stats.prompt_ids[: self.sample_groups]):
            rows = [i for i, group in enumerate(of_row) if group == g]
            sample = jsonable(batch.samples[rows[0]])
            prompt = next((sample[k] for k in ("prompt", "question", "problem") if isinstance(sample.get(k), str)), "")
            self._append(
                "samples",
                {
                    "v": RUN_DIR_VERSION,
                    "step": step,
                    "promptId": pid,
                    "prompt": prompt,
                    "sample": sample,
                    "completions": [
                        {
                            "text": batch.completions[i],
                            "tokens": int(stats.tokens[i]),
                            **_truncated(stats, i),
                            "rewards": {r: int(batch.rewards[i][r]) for r in batch.rules},
                            "reasons": {r: str(batch.reasons[i].get(r, "")) for r in batch.rules},
                            "advantage": float(advantages[i]),
                            "correct": batch.rewards[i].get(batch.accuracy_rule, 0) == 1,
                            **({"flags": flags[i]} if flags and flags[i] else {}),
                        }
                        for i in rows
                    ],
                },
            )

    def _write_eval(self, batches: Sequence[ScoredBatch], step: int, training: bool) -> None:
        rows = [(b, i) for b in batches for i in range(len(b.totals))]
        if not rows:
            return
        first = batches[0]
        accuracy = sum(b.rewards[i].get(b.accuracy_rule, 0) for b, i in rows) / len(rows)
        rewards = {r: sum(b.rewards[i].get(r, 0) for b, i in rows) / len(rows) for r in first.rules}
        if step == 0 and not self._trained_here:
            phase = "base"
        elif self.total_steps and step >= self.total_steps:
            phase = "final"
        else:
            phase = "rl"
        examples = [
            {
                "prompt": str(next((b.samples[i][k] for k in ("prompt", "question", "problem") if isinstance(b.samples[i].get(k), str)), "")),
                "completion": b.completions[i],
                "answer": str(jsonable(b.samples[i].get("answer", ""))),
                "correct": b.rewards[i].get(b.accuracy_rule, 0) == 1,
            }
            for b, i in rows[:3]
        ]
        self._append(
            "eval",
            {
                "v": RUN_DIR_VERSION,
                "step": step,
                "time": iso(self.clock()),
                "phase": phase,
                "temperature": finite(self.run_config.get("eval", {}).get("temperature", 0.0), 0.0),
                "size": len(rows),
                "accuracy": accuracy,
                "rewards": rewards,
                "examples": examples,
            },
        )
        if phase == "base":
            self.base_accuracy = accuracy
            self.info["baseAccuracy"] = accuracy
        self.final_accuracy = accuracy
        self.write_log(f"eval ({phase}) step {step}: accuracy {accuracy:.4f} on {len(rows)} completions")


def finish_at_exit(sink: RunDirSink) -> None:
    """
    Marks the run when the driver exits: completed at its last step, failed when an uncaught exception ended it (the
    studio then shows it failed with the error), else stopped. Python calls sys.excepthook before atexit handlers.
    """
    uncaught: list[str] = []
    previous = sys.excepthook

    def record(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        uncaught.append(f"{exc_type.__name__}: {exc}")
        previous(exc_type, exc, tb)

    sys.excepthook = record
    atexit.register(_finish, sink, uncaught)


def _finish(sink: RunDirSink, uncaught: list[str]) -> None:
    try:
        sink.finish(error=uncaught[-1] if uncaught else None)
    except OSError:
        pass  # a run folder already gone is no error
