"""TRL's GRPOTrainer with BNPO's Beta-normalised advantage.

TRL 1.16 computes the group-normalised advantage inline in ``GRPOTrainer._generate_and_score_completions`` (no
hook of its own), from the per-reward-function matrix ``_calculate_rewards`` returns (gathered over processes,
rows in groups of ``num_generations``). The narrowest change that keeps everything else of TRL (generation,
old/ref log-probs, loss types, logging) is to wrap those two methods: keep the reward matrix, then replace the
``advantages`` of the returned batch with BNPO's, each reward function one component of the decomposition
(the mean of the per-function advantages; one function is plain BNPO). Every reward must lie in [0, 1].
``scale_rewards`` and ``multi_objective_aggregation`` no longer affect the advantage; the loss type still applies.
Evaluation batches keep TRL's own advantage (it is not used for an update).
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import torch
from trl import GRPOTrainer

from bnpo_verl import exchange
from bnpo_verl.advantage import prompt_ids_for
from bnpo_verl.estimator import bnpo_advantages

from .rewards import scorer_of


class TrlInterfaceError(RuntimeError):
    """The installed TRL does not offer the GRPOTrainer internals this trainer wraps."""


def _check_trl() -> None:
    wanted = {
        "_calculate_rewards": ["self", "inputs", "prompts", "completions", "completion_ids_list"],
        "_generate_and_score_completions": ["self", "inputs"],
    }
    for name, params in wanted.items():
        method = getattr(GRPOTrainer, name, None)
        if method is None or list(inspect.signature(method).parameters)[: len(params)] != params:
            import trl

            raise TrlInterfaceError(
                f"trl {trl.__version__}: GRPOTrainer.{name}({', '.join(params[1:])}) is missing; bnpo_trl supports trl 1.16"
            )


_check_trl()


def group_index(rows: int, group_size: int) -> list[int]:
    """TRL's grouping: consecutive blocks of ``num_generations`` rows are one prompt's completions."""
    if group_size < 2 or rows % group_size != 0:
        raise ValueError(f"BNPO needs groups of at least 2 completions; got {rows} rows with num_generations={group_size}")
    return [row // group_size for row in range(rows)]


def truncated_rows(completion_ids: torch.Tensor, completion_mask: torch.Tensor, end_ids: list[int]) -> list[bool]:
    """Rows cut off at the cap, as TRL's completions/clipped_ratio counts them: the last token (where the mask ends)
    is neither an end token nor padding. A row TRL masked out whole (mask_truncated_completions) was cut off."""
    out = []
    for r, n in enumerate(completion_mask.sum(dim=-1).tolist()):
        out.append(n == 0 or int(completion_ids[r, int(n) - 1]) not in end_ids)
    return out


class BnpoGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` whose training advantage is BNPO's; ``bnpo_last`` holds the newest step's BnpoResult."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bnpo_rewards: torch.Tensor | None = None
        self.bnpo_last: Any = None

    def _calculate_rewards(self, inputs: Any, prompts: Any, completions: Any, completion_ids_list: Any) -> torch.Tensor:
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._bnpo_rewards = rewards
        return rewards

    def _bnpo_end_ids(self) -> list[int]:
        tokenizer = getattr(self, "_tokenizer", None) or self.processing_class
        pad = getattr(tokenizer, "pad_token_id", None)
        return [*self.eos_token_ids, *([pad] if pad is not None else [])]

    def _generate_and_score_completions(self, inputs: Any) -> dict[str, Any]:
        self._bnpo_rewards = None
        output = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return output
        if self._bnpo_rewards is None:
            raise TrlInterfaceError("GRPOTrainer scored this batch without _calculate_rewards: not supported")
        started = time.perf_counter()
        rewards = self._bnpo_rewards.detach().to(torch.float64).cpu().T.contiguous()  # [K, rows of all processes]
        if torch.isnan(rewards).any():
            raise ValueError("BNPO needs a reward from every reward function for every completion (one returned None)")
        rows = rewards.shape[1]
        result = bnpo_advantages(rewards, group_index(rows, self.num_generations), list(self.reward_func_names))
        local = output["advantages"]
        start = self.accelerator.process_index * local.shape[0]
        output["advantages"] = result.advantages[start : start + local.shape[0]].to(dtype=local.dtype, device=local.device)
        # TRL's completions table shows the advantages of the whole generation batch: show the ones used.
        logged = self._logs["advantages"]
        for _ in range(min(rows, len(logged))):
            logged.pop()
        logged.extend(result.advantages.tolist())
        self.bnpo_last = result
        scorer = scorer_of(self.reward_funcs)
        batch = scorer.last if scorer is not None and scorer.last is not None and len(scorer.last.totals) == rows else None
        if batch is not None:
            exchange.claim(batch)
        exchange.record_step(
            exchange.StepStats(
                result=result,
                prompt_ids=prompt_ids_for(result.groups, result.first_rows.tolist(), batch),
                tokens=[int(n) for n in output["completion_mask"].sum(dim=-1).tolist()],
                truncated=truncated_rows(output["completion_ids"], output["completion_mask"], self._bnpo_end_ids()),
                batch=batch,
                advantage_ms=(time.perf_counter() - started) * 1000,
            )
        )
        return output
