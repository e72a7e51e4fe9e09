"""BNPO for verl.

BNPO here is Beta Normalization Policy Optimization (arXiv 2506.02864). It is unrelated to TRL's and
ms-swift's ``loss_type="bnpo"`` (batch-normalized token averaging); the estimator is registered in verl as
``bnpo_beta`` so the two cannot be confused.

Importing this package has no side effects; ``bnpo_verl.plugin`` registers with verl.
"""

__version__ = "0.1.0"

#: The oldest verl release whose interfaces the glue in ``bnpo_verl.plugin`` is written against.
TARGET_VERL_VERSION = "0.7.0"

#: verl (major, minor) from which (inclusive) to which (exclusive) the plug-in is tested; pyproject.toml agrees.
SUPPORTED_VERL = ((0, 7), (0, 10))

#: The name under which the estimator is registered in verl's advantage-estimator registry.
ESTIMATOR_NAME = "bnpo_beta"
