"""A GPU check, not part of `npm test` (which must skip nothing but the verl tests): verl hands the estimator its
token-level tensors on the driver, and a caller may pass CUDA tensors. Run where a GPU is:

    cd engines/verl/tests && python3 -m unittest -v cuda_check
"""

from __future__ import annotations

import unittest

from support import ENGINE_DIR  # noqa: F401,E402  (puts the package on sys.path)

import torch  # noqa: E402

from bnpo_verl import exchange  # noqa: E402
from bnpo_verl.advantage import compute_bnpo_beta_outcome_advantage  # noqa: E402
from bnpo_verl.estimator import bnpo_advantages  # noqa: E402
from test_estimator import GOLDEN_A, GOLDEN_GROUPS, flat  # noqa: E402


class OnCuda(unittest.TestCase):
    def test_cuda_rewards_give_the_same_advantages_on_the_same_device(self) -> None:
        self.assertTrue(torch.cuda.is_available(), "this check needs a CUDA device")
        exchange.reset()
        rewards, index = flat(GOLDEN_GROUPS)
        token_rewards = torch.zeros(16, 4, device="cuda")
        token_rewards[:, -1] = rewards.to("cuda", torch.float32)
        mask = torch.ones(16, 4, device="cuda")
        adv, _ = compute_bnpo_beta_outcome_advantage(token_rewards, mask, index=[str(i) for i in index])
        self.assertEqual(adv.device.type, "cuda")
        expected = torch.tensor(GOLDEN_A, dtype=torch.float32).view(16, 1).expand(16, 4)
        self.assertLess(float((adv.cpu() - expected).abs().max()), 1e-6)
        direct = bnpo_advantages(rewards.to("cuda"), index).advantages
        self.assertLess(float((direct - bnpo_advantages(rewards, index).advantages).abs().max()), 1e-15)


if __name__ == "__main__":
    unittest.main()
