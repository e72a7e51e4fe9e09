"""A Ray job's entrypoint (test_ray_job.py submits it): the plug-in inside real verl on a Ray cluster.

Two verl steps, as verl's driver runs them: the reward function scores through `bnpo rules serve`, the estimator is
looked up by name in verl's registry, and verl's Tracking with the ``bnpo`` backend writes BNPO_RUN_DIR. Not a test
module itself (pytest collects test_*.py only).
"""

from __future__ import annotations

import numpy as np
import ray
import torch

ray.init()  # inside a job: the cluster the job was submitted to

from verl.trainer.ppo import core_algos  # noqa: E402
from verl.utils.tracking import Tracking  # noqa: E402

import bnpo_verl.plugin  # noqa: E402,F401  (registers the estimator and the tracking backend)
from bnpo_verl import ESTIMATOR_NAME, reward  # noqa: E402

COMPLETIONS = [["\\boxed{1}", "1", "\\boxed{1}", "x"], ["\\boxed{2}", "\\boxed{5}", "2", "\\boxed{2}"]]
CONFIG = {
    "trainer": {"experiment_name": "ray-job", "total_training_steps": 2},
    "actor_rollout_ref": {"rollout": {"n": 4}, "model": {"path": "/models/tiny"}},
    "data": {"train_batch_size": 2, "train_files": ["/data/train.parquet"]},
    "algorithm": {"adv_estimator": ESTIMATOR_NAME},
}


def main() -> None:
    estimator = core_algos.get_adv_estimator_fn(ESTIMATOR_NAME)
    tracking = Tracking("bnpo-studio", "ray-job", default_backend=["console", "bnpo"], config=CONFIG)
    flat = [c for group in COMPLETIONS for c in group]
    answers = [str(g + 1) for g, group in enumerate(COMPLETIONS) for _ in group]
    uids = np.array([f"uid-{g}" for g, group in enumerate(COMPLETIONS) for _ in group], dtype=object)
    for step in (1, 2):
        scores = reward.compute_score(["math"] * len(flat), flat, answers, [{"index": g} for g in (0, 0, 0, 0, 1, 1, 1, 1)])
        token_rewards = torch.zeros(len(flat), 4)
        token_rewards[:, -1] = torch.tensor([s["score"] for s in scores])
        estimator(token_level_rewards=token_rewards, response_mask=torch.ones(len(flat), 4), index=uids, config=None)
        tracking.log(data={"training/global_step": step, "actor/pg_loss": 1.0 / step}, step=step)
    print(f"bnpo ray driver: job {ray.get_runtime_context().get_job_id()} wrote 2 steps", flush=True)


main()
