"""TensorBoard interop against TensorBoard itself.

(a) Event files written by the real writers (tensorboardX's SummaryWriter, TensorBoard's EventFileWriter with v2
    tensor scalars) are imported with `bnpo import`, and every value lands where it should, equal as float32.
(b) `bnpo export-tensorboard` of a run folder is read back by TensorBoard's own EventAccumulator with equal values,
    steps and wall times.

Needs the built CLI (dist/cli.js, `node esbuild.js`) and a venv with tensorboard and tensorboardX.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from datetime import datetime

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
CLI = os.path.join(REPO_ROOT, "dist", "cli.js")
OUR_RUN = os.path.join(REPO_ROOT, "test", "fixtures", "studio", "sorting-demo-run")
sys.path.insert(0, HERE)

import interop_writers  # noqa: E402


def bnpo(*args: str) -> subprocess.CompletedProcess[str]:
    node = os.environ.get("BNPO_NODE") or shutil.which("node")
    if node is None:
        raise unittest.SkipTest("node is not on PATH")
    return subprocess.run([node, CLI, *args], capture_output=True, text=True, timeout=120)


def read_jsonl(path: str) -> list[dict]:
    with open(path) as fp:
        return [json.loads(line) for line in fp if line.strip()]


def f32(value: float) -> float:
    return float(np.float32(value))


class InteropCase(unittest.TestCase):
    def setUp(self) -> None:
        if not os.path.exists(CLI):
            self.fail(f"{CLI} is missing: build it first (node esbuild.js)")
        self.tmp = tempfile.mkdtemp(prefix="bnpo-interop-py-")

    def tearDown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def import_run(self, source: str) -> dict[int, dict]:
        out = os.path.join(self.tmp, "imported-" + os.path.basename(source))
        result = bnpo("import", source, "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        return {r["step"]: r for r in read_jsonl(os.path.join(out, "scalars.jsonl"))}


class ReadsRealWriters(InteropCase):
    def test_tensorboardx_scalars_import_with_equal_values(self) -> None:
        from tensorboardX import SummaryWriter

        rng = np.random.default_rng(7)
        folder = os.path.join(self.tmp, "tbx")
        logged: dict[int, dict[str, float]] = {}
        with SummaryWriter(logdir=folder) as writer:
            for step in range(0, 300, 3):  # many records, a step 0, gaps
                row = {
                    "train/reward": float(rng.random()),
                    "train/rewards/correct/mean": float(rng.random()),
                    "train/loss": float(rng.normal()),
                    "my/own/metric": float(rng.normal() * 1e3),
                }
                for tag, value in row.items():
                    writer.add_scalar(tag, value, step, walltime=1_700_000_000.5 + step)
                logged[step] = row
        records = self.import_run(folder)
        self.assertEqual(sorted(records), sorted(logged))
        for step, row in logged.items():
            record = records[step]
            self.assertEqual(record["reward"], f32(row["train/reward"]))
            self.assertEqual(record["rewards"], {"correct": f32(row["train/rewards/correct/mean"])})
            self.assertEqual(record["loss"], f32(row["train/loss"]))
            self.assertEqual(record["extra"], {"my/own/metric": f32(row["my/own/metric"])})
            self.assertEqual(record["wall"], 1_700_000_000.5 + step)

    def test_tensorboard_v2_tensor_scalars_import_with_equal_values(self) -> None:
        folder = interop_writers.write_tensorboard(self.tmp)
        records = self.import_run(folder)
        self.assertEqual(sorted(records), interop_writers.STEPS)
        for step in interop_writers.STEPS:
            data = interop_writers.verl_data(step)
            record = records[step]
            self.assertEqual(record["reward"], f32(data["critic/score/mean"]))
            self.assertEqual(record["gradNorm"], f32(data["actor/grad_norm"]))
            self.assertEqual(record["extra"]["timing_s/gen"], data["timing_s/gen"])  # float64 kept exactly

    def test_verl_file_logger_lines_import_with_equal_values(self) -> None:
        path = interop_writers.write_verl(self.tmp)
        records = self.import_run(path)
        for step in interop_writers.STEPS:
            data = interop_writers.verl_data(step)
            self.assertEqual(records[step]["entropy"], data["actor/entropy"])
            self.assertEqual(records[step]["completionLength"], data["response_length/mean"])


class ExportReadByEventAccumulator(InteropCase):
    def test_exported_scalars_equal_the_run_metrics(self) -> None:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        out = os.path.join(self.tmp, "tb")
        result = bnpo("export-tensorboard", OUR_RUN, "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        accumulator = EventAccumulator(out, size_guidance={"scalars": 0})
        accumulator.Reload()
        metrics = read_jsonl(os.path.join(OUR_RUN, "metrics.jsonl"))
        evals = read_jsonl(os.path.join(OUR_RUN, "eval.jsonl"))
        tags = set(accumulator.Tags()["scalars"])
        rules = sorted(metrics[0]["rewards"])
        for field in ["reward", "accuracy", "entropy", "clipFraction", "completionLength", "lr"]:
            self.assertIn(field, tags)
            events = accumulator.Scalars(field)
            self.assertEqual([e.step for e in events], [m["step"] for m in metrics], field)
            for event, record in zip(events, metrics):
                self.assertEqual(event.value, f32(record[field]), f"{field} at step {record['step']}")
                wall = datetime.fromisoformat(record["time"].replace("Z", "+00:00")).timestamp()
                self.assertAlmostEqual(event.wall_time, wall, places=3)
        for rule in rules:
            events = accumulator.Scalars(f"rewards/{rule}")
            self.assertEqual([e.value for e in events], [f32(m["rewards"][rule]) for m in metrics])
        losses = accumulator.Scalars("loss")
        self.assertEqual([e.value for e in losses], [f32(m["loss"]) for m in metrics if m["loss"] is not None])
        held_out = accumulator.Scalars("eval/accuracy")
        self.assertEqual([(e.step, e.value) for e in held_out], [(e["step"], f32(e["accuracy"])) for e in evals])


if __name__ == "__main__":
    unittest.main()
