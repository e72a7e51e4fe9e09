"""The verl-facing glue, written against verl 0.7.0 (tag v0.7.0) and kept thin.

Importing this module does two things. verl's driver imports it through ``bnpo_verl.reward``
(``custom_reward_function.path=pkg://bnpo_verl.reward``) before the trainer starts, which is where both are used;
``VERL_USE_EXTERNAL_MODULES=bnpo_verl.plugin`` would import it into every verl process and is not needed:

1. registers ``compute_bnpo_beta_outcome_advantage`` in ``verl.trainer.ppo.core_algos``'s advantage-estimator
   registry (``register_adv_est``) as ``bnpo_beta``; select it with ``algorithm.adv_estimator=bnpo_beta``;
2. adds a tracking backend ``bnpo`` to ``verl.utils.tracking.Tracking`` (select it with
   ``trainer.logger='[console,bnpo]'``) that writes the studio's run directory named by BNPO_RUN_DIR.
   verl 0.7.0 has no registry for tracking backends: ``Tracking`` checks names against its
   ``supported_backend`` list and keeps its backends in the ``logger`` dict, each with ``log(data, step)``;
   the sink is added to that dict after ``Tracking.__init__``. Both attributes are checked here, so a verl
   that changed them fails at import with a message instead of silently not logging.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from . import ESTIMATOR_NAME, TARGET_VERL_VERSION
from .advantage import compute_bnpo_beta_outcome_advantage
from .sink import RunDirSink, finish_at_exit, run_config_from_verl

TRACKING_BACKEND = "bnpo"


class VerlInterfaceError(RuntimeError):
    """The installed verl does not offer an interface this plug-in was written against."""


def register_estimator() -> None:
    try:
        from verl.trainer.ppo import core_algos
    except ImportError as err:  # pragma: no cover - exercised only where verl is installed
        raise VerlInterfaceError(f"bnpo_verl.plugin needs verl {TARGET_VERL_VERSION}: {err}") from err
    register = getattr(core_algos, "register_adv_est", None)
    if register is None:
        raise VerlInterfaceError(
            f"verl.trainer.ppo.core_algos has no register_adv_est (needs verl >= {TARGET_VERL_VERSION})"
        )
    registry = getattr(core_algos, "ADV_ESTIMATOR_REGISTRY", {})
    if registry.get(ESTIMATOR_NAME) is not compute_bnpo_beta_outcome_advantage:
        register(ESTIMATOR_NAME)(compute_bnpo_beta_outcome_advantage)


def sink_from_env(config: Any) -> RunDirSink:
    """The run-directory sink for a verl run, from BNPO_RUN_DIR, BNPO_RULES_FILE and verl's resolved config."""
    from .reward import server_for

    run_dir = os.environ.get("BNPO_RUN_DIR")
    rules_file = os.environ.get("BNPO_RULES_FILE")
    if not run_dir or not rules_file:
        raise ValueError("the bnpo tracking backend needs BNPO_RUN_DIR and BNPO_RULES_FILE in the environment")
    if config is not None and not isinstance(config, dict):
        from omegaconf import OmegaConf

        config = OmegaConf.to_container(config, resolve=True)
    config = config or {}
    sample_every = int(os.environ.get("BNPO_SAMPLE_EVERY", "5"))
    run_config = run_config_from_verl(config, rules_file, sample_every)
    rules = server_for(rules_file, os.environ.get("BNPO_CLI")).rules
    adv = str(config.get("algorithm", {}).get("adv_estimator", ESTIMATOR_NAME))
    sink = RunDirSink(
        run_dir,
        run_config=run_config,
        rules=rules,
        rules_file=rules_file,
        total_steps=run_config["steps"],
        estimator="bnpo" if adv == ESTIMATOR_NAME else adv,
        sample_every=sample_every,
        sample_groups=int(os.environ.get("BNPO_SAMPLE_GROUPS", "4")),
        config_file=os.environ.get("BNPO_CONFIG_FILE") or None,
        max_response_length=(config.get("data") or {}).get("max_response_length"),
    )
    sink.write_log(f"verl run: model {config.get('actor_rollout_ref', {}).get('model', {}).get('path', '?')}")
    finish_at_exit(sink)
    return sink


def install_tracking_backend() -> None:
    try:
        from verl.utils import tracking
    except ImportError as err:  # pragma: no cover - exercised only where verl is installed
        raise VerlInterfaceError(f"bnpo_verl.plugin needs verl {TARGET_VERL_VERSION}: {err}") from err
    cls = tracking.Tracking
    supported = getattr(cls, "supported_backend", None)
    if not isinstance(supported, list):
        raise VerlInterfaceError(f"verl.utils.tracking.Tracking has no supported_backend list (written for verl {TARGET_VERL_VERSION})")
    if getattr(cls.__init__, "_bnpo_wrapped", False):
        return
    if TRACKING_BACKEND not in supported:
        supported.append(TRACKING_BACKEND)
    original = cls.__init__

    @functools.wraps(original)
    def init(self: Any, project_name: Any, experiment_name: Any, default_backend: Any = "console", config: Any = None) -> None:
        original(self, project_name, experiment_name, default_backend, config)
        backends = [default_backend] if isinstance(default_backend, str) else list(default_backend or [])
        if TRACKING_BACKEND in backends:
            loggers = getattr(self, "logger", None)
            if not isinstance(loggers, dict):
                raise VerlInterfaceError(f"Tracking keeps no logger dict (written for verl {TARGET_VERL_VERSION})")
            loggers[TRACKING_BACKEND] = sink_from_env(config)

    init._bnpo_wrapped = True  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[method-assign]


def install() -> None:
    register_estimator()
    install_tracking_backend()


install()
