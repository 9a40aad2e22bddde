"""The learning side of ``classic_control.py``: MLP policies, batched episodes, behaviour cloning, updates.

The updates call the repository's own pure functions, as the language-model trainers do: a "token" is a
timestep and a "response" an episode. ``update("sppo", ...)``: critic V(s_0) = sigmoid(MLP(s_0)) trained with
``bce_value_loss``, ``A = R - V(s_0)`` from ``get_advantage_fn("sppo")`` before the critic update, on every
timestep. ``update("ppo_gae", ...)``: critic V(s_t, t/H) with ``value_loss``, ``gae_advantages`` on the outcome
at the last step, whitened by ``masked_whiten``. Both: ``get_policy_loss("clipped")``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from classic_control_tasks import Task, scripted_actions
from torch import Tensor, nn

from reasoning_gym.trainers.advantages import (
    gae_advantages,
    get_advantage_fn,
    masked_whiten,
    outcome_token_rewards,
)
from reasoning_gym.trainers.losses import bce_value_loss, get_policy_loss, value_loss


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything that shapes a run; one set for both methods (a finished run is reused only if they match)."""

    episodes: dict[str, int]  # RL episodes per run, per task
    hidden: int = 64
    policy_lr: float = 1e-3
    critic_lr: float = 1e-3
    epochs: int = 4
    minibatches: int = 4
    clip: float = 0.2
    dual_clip: float = 3.0
    grad_clip: float = 1.0
    gamma: float = 1.0
    lam: float = 0.95
    value_clip: float = 0.5
    bc_demos: int = 100  # successful scripted episodes to clone
    bc_steps: int = 300
    bc_lr: float = 1e-3
    eval_episodes: int = 256
    targets: tuple[float, ...] = (0.5, 0.8)  # success rates of the "episodes to reach" columns
    curve_points: int = 40  # bins of the training success curve


FULL = Settings(episodes={"cartpole": 12_800, "mountaincar": 3_000, "pendulum": 12_000})
QUICK = dataclasses.replace(
    FULL, episodes={"cartpole": 128, "mountaincar": 16, "pendulum": 32}, bc_demos=8, bc_steps=20, eval_episodes=32
)


# ---------------------------------------------------------------------------------------------------------
# Policy, rollouts, behaviour cloning
# ---------------------------------------------------------------------------------------------------------


def mlp(inputs: int, outputs: int, hidden: int) -> nn.Sequential:
    """A 2-hidden-layer tanh MLP (policy logits, critic value or critic logit)."""
    return nn.Sequential(
        nn.Linear(inputs, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, outputs)
    )


def numpy_sampler(policy: nn.Sequential, rng: np.random.Generator) -> Any:
    """``(state, features) -> actions`` sampled from ``policy`` with numpy.

    A rollout calls the policy once per timestep on a small batch, where torch's per-call overhead would
    dominate; the numpy copy is several times faster. Old log-probs are recomputed with torch afterwards.
    """
    layers = [(m.weight.detach().double().numpy().T, m.bias.detach().double().numpy()) for m in policy[::2]]

    def act(state: np.ndarray, features: np.ndarray) -> np.ndarray:
        h = features
        for i, (w, b) in enumerate(layers):
            h = h @ w + b
            h = np.tanh(h) if i < len(layers) - 1 else h
        probs = np.exp(h - h.max(1, keepdims=True))
        cdf = np.cumsum(probs / probs.sum(1, keepdims=True), 1)
        return np.minimum((rng.random((len(h), 1)) > cdf).sum(1), h.shape[1] - 1)

    return act


@dataclasses.dataclass
class Episodes:
    """A batch of episodes, right-padded to the longest: features ``[n, T, k]``, actions and mask ``[n, T]``."""

    features: Tensor
    actions: Tensor
    mask: Tensor
    success: Tensor  # [n] float, the 0/1 terminal reward


def rollout(task: Task, act: Any, n: int, rng: np.random.Generator) -> Episodes:
    """Run ``n`` episodes side by side with the batched dynamics; ``act(state, features)`` picks the actions."""
    state = task.reset(rng, n)
    active, success = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    features, actions, masks = [], [], []
    for _ in range(task.horizon):
        feats = task.features(state)
        acts = act(state, feats)
        features.append(feats)
        actions.append(acts)
        masks.append(active.copy())
        # Finished episodes keep their final state (stepping a fallen CartPole further means nothing).
        state = np.where(active[:, None], task.step(state, acts), state)
        reached = active & task.reached(state)
        success |= reached
        active &= ~(reached | task.failed(state))
        if not active.any():
            break
    success |= active & task.final_success(state)  # judged at the horizon, for episodes still running
    return Episodes(
        features=torch.from_numpy(np.stack(features, 1)),
        actions=torch.from_numpy(np.stack(actions, 1).astype(np.int64)),
        mask=torch.from_numpy(np.stack(masks, 1)).float(),
        success=torch.from_numpy(success).float(),
    )


def success_rate(task: Task, policy: nn.Sequential, episodes: int, seed: list[int]) -> float:
    """Share of ``episodes`` fresh episodes the policy (sampling, as in training) solves."""
    rng = np.random.default_rng(seed)
    done = [
        rollout(task, numpy_sampler(policy, rng), min(256, episodes - i), rng).success for i in range(0, episodes, 256)
    ]
    return float(torch.cat(done).mean())


def behaviour_clone(task: Task, settings: Settings, seed: int) -> tuple[nn.Sequential, dict[str, float]]:
    """A policy cloned (cross-entropy) from the first ``bc_demos`` successful episodes of the noisy controller.

    Both methods of a seed start from this same policy: it depends only on the task, the settings and the seed.

    Returns:
        ``(policy, info)``; info has the controller's success rate and the final cross-entropy.
    """
    rng = np.random.default_rng([seed, 0])
    torch.manual_seed(seed)
    demos, tried, solved = [], 0, 0
    while solved < settings.bc_demos:
        batch = rollout(task, lambda s, _f: scripted_actions(task, s, rng), 256, rng)
        keep = batch.success.bool()
        tried, solved = tried + len(keep), solved + int(keep.sum())
        valid = batch.mask[keep].bool()  # the successful episodes' real timesteps
        demos.append((batch.features[keep][valid], batch.actions[keep][valid]))
    # Every episode of a batch counts toward the controller's rate; only successes are cloned (all of them).
    x, y = torch.cat([d[0] for d in demos]), torch.cat([d[1] for d in demos])
    policy = mlp(x.shape[1], task.n_actions, settings.hidden)
    optimizer = torch.optim.Adam(policy.parameters(), lr=settings.bc_lr)
    for _ in range(settings.bc_steps):
        rows = torch.randint(len(x), (512,))
        loss = nn.functional.cross_entropy(policy(x[rows]), y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return policy, {"scripted_success": solved / tried, "bc_episodes": solved, "bc_loss": loss.item()}


# ---------------------------------------------------------------------------------------------------------
# One RL update: advantages from the repository's pure functions, then clipped PPO epochs
# ---------------------------------------------------------------------------------------------------------


def log_probs(policy: nn.Sequential, batch: Episodes) -> Tensor:
    """Log-probability ``[n, T]`` of every taken action under ``policy`` (padding included; masks drop it)."""
    logits = policy(batch.features)
    return torch.log_softmax(logits, -1).gather(-1, batch.actions[..., None]).squeeze(-1)


def with_time(batch: Episodes, horizon: int) -> Tensor:
    """PPO-GAE critic inputs ``[n, T, k + 1]``: the features plus t / H, the share of the horizon used."""
    n, steps, _ = batch.features.shape
    t = (torch.arange(steps, dtype=torch.float32) / horizon).expand(n, steps)[..., None]
    return torch.cat([batch.features, t], -1)


def sppo_targets(critic: nn.Sequential, batch: Episodes) -> tuple[Tensor, Tensor]:
    """SPPO: ``A = R - V(s_0)`` per episode ``[n]`` (the critic is V(s_0) only), and the critic's inputs."""
    first = batch.features[:, 0]
    with torch.no_grad():
        value = torch.sigmoid(critic(first).squeeze(-1))
    group_ids = torch.arange(len(first))  # one episode per start state: SPPO's N = 1
    return get_advantage_fn("sppo")(batch.success, group_ids, baseline=value), first


def gae_targets(
    critic: nn.Sequential, batch: Episodes, task: Task, settings: Settings, lam: float
) -> dict[str, Tensor]:
    """PPO-GAE: whitened per-timestep GAE advantages ``[n, T]``, the returns and the critic's old values."""
    inputs = with_time(batch, task.horizon)
    with torch.no_grad():
        values = critic(inputs).squeeze(-1) * batch.mask
    rewards = outcome_token_rewards(batch.success, batch.mask)
    advantages, returns = gae_advantages(rewards, values, batch.mask, gamma=settings.gamma, lam=lam)
    return {
        "advantages": masked_whiten(advantages, batch.mask),
        "returns": returns,
        "old_values": values,
        "inputs": inputs,
    }


def critic_loss(
    method: str, critic: nn.Sequential, targets: dict[str, Tensor], rows: Tensor, batch: Episodes, settings: Settings
) -> Tensor:
    """The method's critic loss on the episodes ``rows``: BCE on V(s_0), or the clipped squared error per step."""
    if method == "sppo":
        logits = critic(targets["inputs"][rows]).squeeze(-1)
        return bce_value_loss(logits, batch.success[rows])[0]
    values = critic(targets["inputs"][rows]).squeeze(-1)
    old, returns, mask = targets["old_values"][rows], targets["returns"][rows], batch.mask[rows]
    return value_loss(values, old, returns, mask, clip=settings.value_clip)[0]


def update(method: str, nets: dict[str, Any], batch: Episodes, task: Task, settings: Settings) -> dict[str, float]:
    """One RL update on ``batch``: ``epochs`` passes of ``minibatches`` episode-level mini-batches.

    Advantages are computed once, before any network moves (as verl does), with the critic of the batch.
    """
    policy, critic = nets["policy"], nets["critic"]
    if method == "sppo":
        advantages, inputs = sppo_targets(critic, batch)
        targets = {"advantages": advantages, "inputs": inputs}
    else:
        lam = 1.0 if method == "ppo_gae_lam1" else settings.lam
        targets = gae_targets(critic, batch, task, settings, lam)
    with torch.no_grad():
        old_logp = log_probs(policy, batch)
    loss_fn = get_policy_loss("clipped")
    n = len(batch.success)
    for _ in range(settings.epochs):
        for rows in torch.randperm(n).chunk(min(settings.minibatches, n)):
            sub = Episodes(batch.features[rows], batch.actions[rows], batch.mask[rows], batch.success[rows])
            pg_loss, metrics = loss_fn(
                log_probs(policy, sub), old_logp[rows], targets["advantages"][rows], sub.mask,
                clip_low=settings.clip, clip_high=settings.clip, dual_clip=settings.dual_clip,
            )  # fmt: skip
            _step(nets["policy_opt"], policy, pg_loss, settings.grad_clip)
            value_objective = critic_loss(method, critic, targets, rows, batch, settings)
            _step(nets["critic_opt"], critic, value_objective, settings.grad_clip)
    return {"approx_kl": metrics["actor/approx_kl"], "clipfrac": metrics["actor/clipfrac"]}


def _step(optimizer: torch.optim.Optimizer, net: nn.Module, loss: Tensor, grad_clip: float) -> None:
    """One optimiser step on ``loss`` with the gradient norm clipped, as verl clips actor and critic (1.0)."""
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(net.parameters(), grad_clip)
    optimizer.step()
