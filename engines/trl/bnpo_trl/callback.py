"""A TRL ``TrainerCallback`` that writes the studio's run directory (src/protocol/runDir.ts) during training.

It is the verl sink (bnpo_verl.sink.RunDirSink) fed from TRL: the trainer's BNPO step statistics (per-rule p̂,
Beta fit, zero-variance share, advantages) arrive through ``bnpo_verl.exchange`` as they do in verl, and TRL's
logged metrics are renamed to the verl names the sink reads. One record per logged step, so use
``logging_steps=1`` for a curve point per step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from transformers import TrainerCallback

from bnpo_verl.sink import RunDirSink, run_config_from_verl
from bnpo_verl.scoring import server_for

#: TRL's log keys → the verl metric names RunDirSink reads.
TRL_TO_VERL = {
    "loss": "actor/pg_loss",
    "grad_norm": "actor/grad_norm",
    "learning_rate": "actor/lr",
    "entropy": "actor/entropy",
    "completions/mean_length": "response_length/mean",
    "clip_ratio/region_mean": "actor/pg_clipfrac",
    "reward": "critic/score/mean",
}


def verl_shaped_config(args: Any, max_steps: int, model_path: str, dataset: str) -> dict[str, Any]:
    """TRL's GRPOConfig in the shape of verl's config, so both engines describe a run through one function."""
    return {
        "trainer": {
            "experiment_name": args.run_name or "trl",
            "total_training_steps": max_steps,
            "test_freq": args.eval_steps if args.eval_strategy != "no" else None,
            "save_freq": args.save_steps,
        },
        "actor_rollout_ref": {
            "actor": {
                "optim": {"lr": args.learning_rate, "weight_decay": args.weight_decay},
                "clip_ratio_low": args.epsilon,
                "clip_ratio_high": args.epsilon_high if args.epsilon_high is not None else args.epsilon,
                "grad_clip": args.max_grad_norm,
            },
            "rollout": {"n": args.num_generations, "temperature": args.temperature, "top_p": args.top_p},
            "model": {"path": model_path},
        },
        "data": {
            "train_batch_size": max(1, args.generation_batch_size // args.num_generations),
            "train_files": [dataset],
            "seed": args.seed,
        },
    }


def trl_metrics(logs: Mapping[str, Any], step: int) -> dict[str, Any]:
    data: dict[str, Any] = {"training/global_step": step}
    for trl_key, verl_key in TRL_TO_VERL.items():
        if trl_key in logs:
            data[verl_key] = logs[trl_key]
    return data


class RunDirCallback(TrainerCallback):
    """Writes ``run_dir`` for a BnpoGRPOTrainer run whose reward functions come from ``rule_reward_functions``."""

    def __init__(
        self,
        run_dir: str,
        rules_file: str,
        cli: str | None = None,
        *,
        model_path: str = "?",
        dataset: str = "dataset",
        sample_every: int = 5,
        sample_groups: int = 4,
    ) -> None:
        self.run_dir = run_dir
        self.rules_file = rules_file
        self.cli = cli
        self.model_path = model_path
        self.dataset = dataset
        self.sample_every = sample_every
        self.sample_groups = sample_groups
        self.sink: RunDirSink | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        config = verl_shaped_config(args, int(state.max_steps), self.model_path, self.dataset)
        run_config = run_config_from_verl(config, self.rules_file, self.sample_every)
        self.sink = RunDirSink(
            self.run_dir,
            run_config=run_config,
            rules=server_for(self.rules_file, self.cli).rules,
            rules_file=self.rules_file,
            total_steps=run_config["steps"],
            sample_every=self.sample_every,
            sample_groups=self.sample_groups,
            max_response_length=getattr(args, "max_completion_length", None),
        )
        self.sink.write_log(f"TRL run: model {self.model_path}")

    def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        # TRL also logs a run summary (train_runtime, ...) at the end: only logs with a loss are training steps.
        if self.sink is None or logs is None or "loss" not in logs:
            return
        self.sink.log(trl_metrics(logs, int(state.global_step)), int(state.global_step))

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.sink is not None:
            self.sink.finish()
