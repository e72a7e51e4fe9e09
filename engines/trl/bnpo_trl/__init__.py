"""BNPO for TRL.

BNPO here is Beta Normalization Policy Optimization (arXiv 2506.02864). TRL's own ``loss_type="bnpo"`` is a
different thing (token-level loss averaging over the local batch) and can be combined with this package or not.

Importing this package imports TRL; ``bnpo_trl.rewards`` alone does not.
"""

from .callback import RunDirCallback
from .rewards import rule_reward_functions
from .trainer import BnpoGRPOTrainer

__version__ = "0.1.0"

#: The TRL releases whose GRPOTrainer internals ``BnpoGRPOTrainer`` is written against (checked at import).
SUPPORTED_TRL = ">=1.16,<1.17"

__all__ = ["BnpoGRPOTrainer", "RunDirCallback", "rule_reward_functions", "SUPPORTED_TRL"]
