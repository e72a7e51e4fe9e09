"""Foreign logs written by the real writers, for the interop tests (and the committed unit-tier fixtures).

- TensorBoard: tensorboardX's SummaryWriter (scalars as `simple_value`) and
  TensorBoard's own EventFileWriter with v2 tensor scalars (rank-0 tensors, as tf.summary.scalar writes).
- TRL: transformers' `TrainerState.save_to_json` (what TRL's GRPOTrainer saves), with the log keys of TRL 1.16.0.
- verl: the line format of verl 0.9.1's FileLogger (`orjson.dumps({"step": s, "data": d}) + b"\\n"`); verl itself
  imports torch and ray at import time, so the two lines of its `log` are reproduced with the same orjson call.

Run `python test/python/interop_writers.py OUT_DIR` to rewrite the fixtures under test/fixtures/interop/.
"""

from __future__ import annotations

import os
import sys

STEPS = [1, 2, 3, 4, 5]


def trl_log(step: int) -> dict[str, float]:
    """One GRPOTrainer log entry at `step` with the key names TRL 1.16.0 logs."""
    return {
        "loss": 0.5 / step,
        "grad_norm": 1.25 + step / 8,
        "learning_rate": 1e-5 * (1 - step / 10),
        "reward": 0.1 * step,
        "reward_std": 0.3,
        "rewards/accuracy_reward/mean": 0.08 * step,
        "rewards/accuracy_reward/std": 0.25,
        "frac_reward_zero_std": 0.5 - 0.05 * step,
        "completions/mean_length": 40.0 + step,
        "entropy": 1.5 - 0.1 * step,
        "clip_ratio/region_mean": 0.01 * step,
        "kl": 0.002 * step,
        "epoch": step / 5,
    }


def verl_data(step: int) -> dict[str, float]:
    """One verl PPO step's metrics, with names from verl 0.9.1's metric_utils and actor."""
    return {
        "critic/score/mean": 0.1 * step,
        "critic/rewards/mean": 0.1 * step - 0.01,
        "actor/pg_loss": -0.02 * step,
        "actor/grad_norm": 0.75 + step / 16,
        "actor/entropy": 2.0 - 0.125 * step,
        "actor/pg_clipfrac": 0.003 * step,
        "response_length/mean": 100.0 + 2 * step,
        "timing_s/gen": 1.5 * step,
    }


def write_tensorboardx(out: str) -> str:
    from tensorboardX import SummaryWriter

    folder = os.path.join(out, "tensorboardx")
    with SummaryWriter(logdir=folder) as writer:
        for step in STEPS:
            for tag, value in trl_log(step).items():
                writer.add_scalar(f"train/{tag}", value, step, walltime=1_700_000_000 + step)
    return folder


def write_tensorboard(out: str) -> str:
    """TensorBoard's v2 scalars (what tf.summary.scalar writes): a rank-0 tensor and the scalars plugin's metadata."""
    import numpy as np
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.scalar import metadata
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    folder = os.path.join(out, "tensorboard")
    writer = EventFileWriter(folder)
    for step in STEPS:
        values = []
        for tag, value in verl_data(step).items():
            # timings in float64 (double_val), the rest in float32 (float_val), as writers differ
            dtype = np.float64 if tag.startswith("timing_s/") else np.float32
            values.append(
                summary_pb2.Summary.Value(
                    tag=tag,
                    tensor=tensor_util.make_tensor_proto(np.array(value, dtype=dtype)),
                    metadata=metadata.create_summary_metadata(display_name=tag, description=""),
                )
            )
        summary = summary_pb2.Summary(value=values)
        writer.add_event(event_pb2.Event(wall_time=1_700_000_100 + step, step=step, summary=summary))
    writer.close()
    return folder


def write_trl(out: str) -> str:
    from transformers.trainer_callback import TrainerState

    folder = os.path.join(out, "trl")
    os.makedirs(folder, exist_ok=True)
    history = [{**trl_log(step), "step": step} for step in STEPS]
    history.append({"train_runtime": 12.5, "train_loss": 0.2, "step": STEPS[-1], "epoch": 1.0})
    state = TrainerState(global_step=STEPS[-1], max_steps=STEPS[-1], log_history=history)
    path = os.path.join(folder, "trainer_state.json")
    state.save_to_json(path)
    return path


def write_verl(out: str) -> str:
    import orjson

    folder = os.path.join(out, "verl")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "bnpo_demo.jsonl")
    with open(path, "wb", buffering=0) as fp:
        for step in STEPS:
            fp.write(orjson.dumps({"step": step, "data": verl_data(step)}, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
    return path


def write_expected(out: str) -> str:
    """The values every fixture should read back as, by source name and step, for the unit tier."""
    import json

    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "expected.json")
    with open(path, "w") as fp:
        expected = {"trl": {s: trl_log(s) for s in STEPS}, "verl": {s: verl_data(s) for s in STEPS}}
        json.dump(expected, fp, indent=1, sort_keys=True)
        fp.write("\n")
    return path


if __name__ == "__main__":
    target = sys.argv[1]
    print(write_expected(target))
    print(write_tensorboardx(target))
    print(write_tensorboard(target))
    print(write_verl(target))
    try:
        print(write_trl(target))
    except ImportError as err:  # transformers lives in the engines' venv, not always in this one
        print(f"skipped trl: {err}")
