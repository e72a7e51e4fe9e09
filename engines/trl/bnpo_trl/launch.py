"""``python -m bnpo_trl.launch``: one BNPO run in TRL's GRPOTrainer from the command line, writing a studio run folder.

What BNPO Studio's *Launch on TRL…* runs (src/host/trl/trlCommand.ts builds this command line from a ``*.trl.json``
file), and usable by hand. The model is a Hugging Face folder or hub id; the dataset a JSONL file of
``{"prompt": ..., ...}`` lines whose other fields the reward rules read (an ``index`` field keys the groups; the
line number is used when it is absent). SIGTERM (the studio's Stop) ends the run after the current step, and the
run folder records it as stopped.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from typing import Any


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bnpo_trl.launch", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="Hugging Face model folder or hub id")
    p.add_argument("--dataset", required=True, help='JSONL file: {"prompt": str, ...fields the rules read} per line')
    p.add_argument("--rules", required=True, help="BNPO Studio reward-rule file (*.rewards.json)")
    p.add_argument("--run-dir", required=True, help="run folder to write (the studio follows it)")
    p.add_argument("--cli", default=None, help="BNPO Studio's dist/cli.js (bnpo rules serve); default: BNPO_CLI or bnpo")
    p.add_argument("--name", default="trl", help="run name")
    p.add_argument("--steps", type=int, default=50, help="optimizer steps")
    p.add_argument("--group-size", type=int, default=4, help="G: completions per prompt")
    p.add_argument("--prompts-per-step", type=int, default=4, help="prompts per step")
    p.add_argument("--lr", type=float, default=1e-5, help="learning rate")
    p.add_argument("--max-completion-length", type=int, default=64, help="longest completion in tokens")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature")
    p.add_argument("--seed", type=int, default=1, help="seed")
    p.add_argument("--sample-every", type=int, default=5, help="write samples.jsonl every this many steps")
    p.add_argument("--cpu", action="store_true", help="train on the CPU even where a GPU is present")
    args = p.parse_args(argv)
    if args.group_size < 2:
        p.error("--group-size must be at least 2: an advantage compares completions of the same prompt")
    for name in ("steps", "prompts_per_step", "max_completion_length", "sample_every"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def read_dataset(path: str) -> list[dict[str, Any]]:
    """The JSONL rows, each with a ``prompt`` string and an ``index`` (the line number when the file has none)."""
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as err:
                raise SystemExit(f"{path}:{number}: not JSON ({err})") from None
            if not isinstance(row, dict) or not isinstance(row.get("prompt"), str):
                raise SystemExit(f'{path}:{number}: expected an object with a "prompt" string')
            row.setdefault("index", number)
            rows.append(row)
    if not rows:
        raise SystemExit(f"{path}: no prompts")
    return rows


class StopOnSignal:
    """SIGTERM/SIGINT ask the trainer to stop after the step in progress, so the run folder ends as stopped."""

    def __init__(self) -> None:
        self.requested = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._request)

    def _request(self, signum: int, frame: Any) -> None:
        self.requested = True

    def callback(self) -> Any:
        from transformers import TrainerCallback

        outer = self

        class _Stop(TrainerCallback):
            def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
                if outer.requested:
                    control.should_training_stop = True

        return _Stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop = StopOnSignal()
    rows = read_dataset(args.dataset)

    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig

    from . import BnpoGRPOTrainer, RunDirCallback, rule_reward_functions
    from bnpo_verl import scoring

    cpu = args.cpu or not torch.cuda.is_available()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model)
    columns = sorted({key for row in rows for key in row})
    dataset = Dataset.from_dict({key: [row.get(key) for row in rows] for key in columns})
    # TRL's own output (nothing is saved: save_strategy "no") stays out of the run folder, which is the studio's.
    output_dir = tempfile.mkdtemp(prefix="bnpo-trl-output-")
    config = GRPOConfig(
        output_dir=output_dir, use_cpu=cpu, bf16=False, report_to=[],
        save_strategy="no", max_steps=args.steps, logging_steps=1, run_name=args.name,
        per_device_train_batch_size=args.group_size * args.prompts_per_step, num_generations=args.group_size,
        max_completion_length=args.max_completion_length, learning_rate=args.lr, temperature=args.temperature,
        seed=args.seed, dataloader_num_workers=0,
    )
    run_dir = RunDirCallback(args.run_dir, args.rules, args.cli, model_path=args.model,
                             dataset=args.dataset, sample_every=args.sample_every)
    trainer = BnpoGRPOTrainer(model=model, args=config, processing_class=tokenizer, train_dataset=dataset,
                              reward_funcs=rule_reward_functions(args.rules, args.cli),
                              callbacks=[run_dir, stop.callback()])
    try:
        trainer.train()
    except BaseException as err:
        # The studio's Stop signals the whole process group, `bnpo rules serve` included: a step that lost the
        # server (or was interrupted) after a stop request ends the run as stopped at its last full step.
        if run_dir.sink is None:
            raise
        if not stop.requested:
            run_dir.sink.finish(error=f"{type(err).__name__}: {err}")
            raise
        run_dir.sink.write_log(f"stop requested; the step in progress ended with {type(err).__name__}: {err}")
        run_dir.sink.finish(status="stopped")
    finally:
        scoring.close_servers()
        shutil.rmtree(output_dir, ignore_errors=True)
    print(f"run {'stopped' if stop.requested else 'ended'} at step {trainer.state.global_step}: {args.run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
