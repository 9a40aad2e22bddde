"""Classic control with a strictly binary terminal reward: SPPO vs PPO-GAE (SPPO paper section 5.3, Fig. 8).

Claim tested (SPPO paper, arXiv 2604.08865, section 5.3): with a reward of 1 at the end of a successful episode
and 0 otherwise, PPO with a per-timestep critic and GAE stays flat on some tasks, while SPPO, whose only
critic is V(s_0), learns. Both methods use the repository's own pure functions
(``reasoning_gym.trainers.advantages`` and ``.losses``); here a "token" is a timestep and a "response" an
episode. Tasks (``classic_control_tasks.py``): precision CartPole (H = 200, final |theta| <= 0.5 deg),
MountainCar (H = 1000, reach x >= 0.45) and Pendulum (H = 200 instead of the paper's 1000, final cos(theta) >
0.8, 5 discrete torques). The paper's Hopper and LunarLander (which need MuJoCo and Box2D) are left out.

Each (task, seed) starts from one policy, a 2x64 tanh MLP behaviour-cloned on the successful episodes of a
noisy scripted controller (the paper trains its experts with shaped rewards; a scripted controller is the
cheap stand-in), so that it succeeds only some of the time. Then the paper's batch of episodes per update
(64 CartPole, 8 MountainCar, 16 Pendulum), and one policy learning rate, number of epochs and of mini-batches
for every method, gamma = 1 and no KL or entropy term:

* SPPO: critic V(s_0) = sigmoid(MLP(s_0)) trained with ``bce_value_loss`` against the 0/1 outcome;
  ``A = R - V(s_0)`` from ``get_advantage_fn("sppo")``, computed before the critic update, not whitened, given
  to every timestep of the episode.
* PPO-GAE: critic V(s_t, t/H) (the time left is part of the state of a finite-horizon task), trained with
  ``value_loss`` (clipped squared error, clip 0.5); ``gae_advantages`` with lambda = 0.95 on the outcome placed
  at the last step (``outcome_token_rewards``), whitened by ``masked_whiten``: the repository's standard PPO.
* PPO-GAE, lambda = 1 (a diagnostic, not in the paper): the same with lambda = 1, so ``A_t = R - V(s_t)``
  (whitened): a per-timestep baseline, but no bootstrapping through the critic.
* All: ``get_policy_loss("clipped")`` (eps 0.2, dual clip 3, token-mean over the mini-batch's timesteps).

Outputs, in ``--out`` (default docs/results): ``classic_control.md`` (its "What it says" section is written by
hand and kept when the report is rewritten) and ``classic_control_<task>.png`` (training success rate in
consecutive bins of episodes, against episodes; mean ± std over seeds). One JSON per (task, method, seed) in
``--work-dir``; a rerun skips the finished ones (a run with other settings is redone).

Run::

    python experiments/classic_control.py                          # 3 tasks x 3 methods x 3 seeds, ~25 CPU min
    python experiments/classic_control.py --jobs 2                 # two runs at a time
    python experiments/classic_control.py --tasks pendulum --seeds 0 1 2 3 4
    python experiments/classic_control.py --quick --out /tmp/cc    # smoke test, well under a minute
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from classic_control_tasks import TASKS, Task, check_against_gymnasium, scripted_actions
from torch import Tensor, nn

from reasoning_gym.trainers.advantages import (
    gae_advantages,
    get_advantage_fn,
    masked_whiten,
    outcome_token_rewards,
)
from reasoning_gym.trainers.losses import bce_value_loss, get_policy_loss, value_loss

REPO = Path(__file__).resolve().parents[1]
METHODS = {"sppo": "SPPO", "ppo_gae": "PPO-GAE", "ppo_gae_lam1": "PPO-GAE, lambda = 1"}
#: ``ppo_gae_lam1`` is a diagnostic beyond the paper: PPO-GAE with A_t = R - V(s_t), no bootstrapping.
DEFAULT_METHODS = list(METHODS)
COLOURS = {"sppo": "tab:red", "ppo_gae": "tab:purple", "ppo_gae_lam1": "tab:blue"}


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


# ---------------------------------------------------------------------------------------------------------
# One run, resumable runs
# ---------------------------------------------------------------------------------------------------------


def train_run(task_name: str, method: str, settings: Settings, seed: int) -> dict[str, Any]:
    """Behaviour-clone, measure the start, train with ``method`` for the task's episodes, measure the end.

    Returns:
        The run's record: settings, BC info, start/final success rates, per-update batch successes, timings.
    """
    torch.set_num_threads(1)  # one core per run: the machine is shared
    began = time.perf_counter()
    task = TASKS[task_name]
    policy, bc_info = behaviour_clone(task, settings, seed)
    start = success_rate(task, policy, settings.eval_episodes, [seed, 1])
    torch.manual_seed(1000 + seed)  # the critic's init is the only per-method randomness before the rollouts
    inputs = policy[0].in_features + (0 if method == "sppo" else 1)
    critic = mlp(inputs, 1, settings.hidden)
    nets = {
        "policy": policy,
        "critic": critic,
        "policy_opt": torch.optim.Adam(policy.parameters(), lr=settings.policy_lr),
        "critic_opt": torch.optim.Adam(critic.parameters(), lr=settings.critic_lr),
    }
    rng = np.random.default_rng([seed, 2])  # the same rollout stream for both methods while policies agree
    successes, kls = [], []
    for _ in range(settings.episodes[task_name] // task.batch):
        batch = rollout(task, numpy_sampler(policy, rng), task.batch, rng)
        successes.append(int(batch.success.sum()))
        kls.append(update(method, nets, batch, task, settings)["approx_kl"])
    final = success_rate(task, policy, settings.eval_episodes, [seed, 3])
    return {
        "task": task_name, "method": method, "seed": seed, "settings": dataclasses.asdict(settings),
        "bc": bc_info, "start_success": start, "final_success": final, "batch": task.batch,
        "batch_successes": successes, "approx_kl_mean": float(np.mean(kls)) if kls else 0.0,
        "wall_s": time.perf_counter() - began,
    }  # fmt: skip


def run_path(work_dir: Path, task: str, method: str, seed: int) -> Path:
    """Where the JSON of one (task, method, seed) run lives."""
    return work_dir / f"{task}_{method}_seed{seed}.json"


def load_finished(path: Path, settings: Settings) -> dict[str, Any] | None:
    """The saved run at ``path`` if it exists and used exactly ``settings``, else None (it must be redone)."""
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    return record if record.get("settings") == json.loads(json.dumps(dataclasses.asdict(settings))) else None


def run_all(jobs: list[tuple[str, str, int]], settings: Settings, work_dir: Path, workers: int) -> list[dict]:
    """Run every (task, method, seed) job not already finished in ``work_dir``; return all records in order."""
    work_dir.mkdir(parents=True, exist_ok=True)
    records = {job: load_finished(run_path(work_dir, *job), settings) for job in jobs}
    todo = [job for job, record in records.items() if record is None]
    print(f"{len(jobs) - len(todo)} of {len(jobs)} runs already finished in {work_dir}", flush=True)
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(train_run, *job[:2], settings, job[2]): job for job in todo}
        for future in concurrent.futures.as_completed(futures):
            job, record = futures[future], future.result()
            # Written whole then renamed, so an interrupted run never leaves a half JSON that looks finished.
            tmp = run_path(work_dir, *job).with_suffix(".tmp")
            tmp.write_text(json.dumps(record))
            tmp.replace(run_path(work_dir, *job))
            records[job] = record
            print(f"{job[0]:12s} {METHODS[job[1]]:19s} seed {job[2]}: start {record['start_success']:.3f} -> "
                  f"final {record['final_success']:.3f} ({record['wall_s']:.0f} s)", flush=True)  # fmt: skip
    return [records[job] for job in jobs]


# ---------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------


def curve(record: dict[str, Any], points: int) -> tuple[np.ndarray, np.ndarray]:
    """Training success rate in ``points`` consecutive bins of updates: ``(episodes at bin end, rate)``."""
    successes = np.asarray(record["batch_successes"], dtype=float)
    per_bin = max(1, len(successes) // points)
    usable = len(successes) // per_bin * per_bin  # drop a ragged last bin rather than plot a noisier point
    rates = successes[:usable].reshape(-1, per_bin).sum(1) / (per_bin * record["batch"])
    episodes = np.arange(1, len(rates) + 1) * per_bin * record["batch"]
    return episodes, rates


def mean_std(values: list[float], digits: int = 3) -> str:
    """``"mean ± std"`` over seeds (sample std); the bare value for a single seed."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"


def episodes_to_target(records: list[dict[str, Any]], target: float, points: int) -> str:
    """Episodes until a seed's binned training success first reaches ``target``, and how many seeds did."""
    hits = []
    for record in records:
        episodes, rates = curve(record, points)
        reached = np.flatnonzero(rates >= target)
        if len(reached):
            hits.append(int(episodes[reached[0]]))
    if not hits:
        return f"not reached (0/{len(records)})"
    return f"{np.mean(hits):,.0f} ({len(hits)}/{len(records)} seeds)"


def results_table(groups: dict[tuple[str, str], list[dict[str, Any]]], settings: Settings) -> str:
    """One row per (task, method): mean ± std over seeds; the final success rate, the key figure, last."""
    headers = [
        "task", "method", "scripted controller", "BC start", "train success, all episodes",
        "train success, last 10% of episodes",
        *(f"episodes to train success >= {t:g}" for t in settings.targets), "run seconds",
        "final success (eval)",
    ]  # fmt: skip
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for (task, method), records in groups.items():
        late = [r["batch_successes"][-max(1, len(r["batch_successes"]) // 10) :] for r in records]
        late_rate = [sum(s) / (len(s) * r["batch"]) for s, r in zip(late, records)]
        overall = [sum(r["batch_successes"]) / (len(r["batch_successes"]) * r["batch"]) for r in records]
        reach = [episodes_to_target(records, t, settings.curve_points) for t in settings.targets]
        row = [
            task, METHODS[method], mean_std([r["bc"]["scripted_success"] for r in records]),
            mean_std([r["start_success"] for r in records]), mean_std(overall), mean_std(late_rate), *reach,
            mean_std([r["wall_s"] for r in records], 0), mean_std([r["final_success"] for r in records]),
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def plot_task(png: Path, task: str, groups: dict[tuple[str, str], list[dict[str, Any]]], settings: Settings) -> Path:
    """Training success rate against episodes, mean ± std over seeds, one line per method; the BC start dotted."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for method, colour in COLOURS.items():
        records = groups.get((task, method))
        if not records:
            continue
        curves = [curve(r, settings.curve_points) for r in records]
        size = min(len(c[1]) for c in curves)
        rates = np.stack([c[1][:size] for c in curves])
        mean, std = rates.mean(0), rates.std(0, ddof=1) if len(rates) > 1 else np.zeros(size)
        ax.plot(curves[0][0][:size], mean, color=colour, label=f"{METHODS[method]} ({len(records)} seeds)")
        ax.fill_between(curves[0][0][:size], mean - std, mean + std, color=colour, alpha=0.15, linewidth=0)
    # Both methods of a seed start from the same cloned policy, so one line shows the start of both.
    start = np.mean([r["start_success"] for m in METHODS for r in groups.get((task, m), [])])
    ax.axhline(start, color="black", linestyle=":", linewidth=1, label=f"BC start (eval) {start:.2f}")
    ax.set(xlabel="RL episodes", ylabel="success rate (training batches, binned)", ylim=(-0.02, 1.02))
    ax.set_title(f"{task}: binary terminal reward, gamma = 1")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(png)
    return png


def machine_info() -> str:
    """What produced the numbers: CPU model and cores, GPU, torch, threads per run."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
             if ln.startswith("model name")), cpu,
        )  # fmt: skip
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{os.cpu_count()}-core CPU ({cpu}), {gpu}; torch {torch.__version__}, numpy {np.__version__}, "
        "1 thread per run; the machine was shared with another engineer's jobs, so seconds are indicative"
    )


def kept_interpretation(path: Path) -> str:
    """The hand-written "What it says" section of an existing report, so a rerun does not erase it."""
    if path.exists():
        text = path.read_text()
        if "## What it says" in text:
            section = text[text.index("## What it says") :]
            following = section.find("\n## ", 1)
            return section if following < 0 else section[:following]
    return "## What it says\n\n(Written by hand after a full run.)"


def write_report(
    out: Path, records: list[dict[str, Any]], settings: Settings, wall_s: float
) -> tuple[Path, str, list[Path]]:
    """Write ``classic_control.md`` and one PNG per task into ``out``; return the path, the table and the PNGs."""
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault((record["task"], record["method"]), []).append(record)
    tasks = list(dict.fromkeys(r["task"] for r in records))
    pngs = [plot_task(out / f"classic_control_{task}.png", task, groups, settings) for task in tasks]
    table = results_table(groups, settings)
    seeds = sorted({r["seed"] for r in records})
    settings_rows = [("tasks", ", ".join(tasks)), ("seeds", " ".join(map(str, seeds)))]
    settings_rows += [
        (k, f"`{json.dumps(v)}`" if isinstance(v, dict) else v) for k, v in dataclasses.asdict(settings).items()
    ]
    settings_rows += [(f"episodes per update, {t}", TASKS[t].batch) for t in tasks]
    settings_rows += [(f"scripted-controller noise, {t}", TASKS[t].noise) for t in tasks]
    run_seconds = sum(r["wall_s"] for r in records)
    path = out / "classic_control.md"
    sections = [
        "# SPPO beyond text: classic control with a binary terminal reward (SPPO paper section 5.3)",
        __doc__.strip().split("\n\n", 1)[1].split("\nOutputs")[0].strip(),
        f"Command: `{command_line()}`\n\nMachine: {machine_info()}\n\n"
        f"Wall time: {run_seconds / 60:.1f} min of runs in total (sum over the {len(records)} runs, one core each); "
        f"this invocation took {wall_s / 60:.1f} min (finished runs in the work dir are reused, not rerun).",
        "## Settings\n\n| setting | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in settings_rows),
        "## Results: success rate, mean ± std over seeds\n\n" + table,
        "Columns: *scripted controller* is the noisy controller whose successes were cloned; *BC start* and "
        f"*final success (eval)* are measured on {settings.eval_episodes} fresh episodes with the sampling policy "
        "(as in training) before and after RL; *train success* is the share of successful training episodes (over "
        "all of them it is the area under the curve: it counts collapses that the final number hides); "
        "*episodes to train success >= x* is read off each seed's training curve binned into "
        f"{settings.curve_points} points (so it is never less than one bin), averaged over the seeds that got "
        "there.",
        "\n\n".join(f"![{t}]({p.name})" for t, p in zip(tasks, pngs)),
        kept_interpretation(path),
    ]
    path.write_text("\n\n".join(s.strip() for s in sections) + "\n")
    return path, table, pngs


def command_line() -> str:
    """How this script was run, for the report (the path relative to the repository when inside it)."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(REPO) if script.is_relative_to(REPO) else script
    return " ".join(["python", str(shown), *sys.argv[1:]])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", "--seed", type=int, nargs="+", default=[0, 1, 2], help="seeds (default: 0 1 2)")
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS), help="default: all three")
    parser.add_argument(
        "--methods", nargs="+", choices=list(METHODS), default=DEFAULT_METHODS, help="default: all three"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the markdown and PNGs (default: docs/results)"
    )
    parser.add_argument(
        "--work-dir", type=Path, default=None,
        help="per-run JSONs; finished runs with equal settings are reused (default: runs/classic_control)",
    )  # fmt: skip
    parser.add_argument(
        "--quick", action="store_true",
        help="smoke test: tiny runs, first seed only, written to a temp folder unless --out/--work-dir are given",
    )  # fmt: skip
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time, one core each (default: 1)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:1]
        root = Path(tempfile.gettempdir()) / "rgym-experiments-quick-classic_control"
        args.out, args.work_dir = args.out or root / "results", args.work_dir or root / "runs"
    args.out = args.out or REPO / "docs" / "results"
    args.work_dir = args.work_dir or REPO / "runs" / "classic_control"
    return args


def main(argv: list[str] | None = None) -> int:
    """Check the batched dynamics, run (or reuse) every (task, method, seed), then write and print the report."""
    args = parse_args(argv)
    began = time.perf_counter()
    torch.set_num_threads(1)
    for name in args.tasks:
        check_against_gymnasium(TASKS[name])  # the batched copy must still be Gymnasium's task
    settings = QUICK if args.quick else FULL
    jobs = [(task, method, seed) for task in args.tasks for method in args.methods for seed in args.seeds]
    records = run_all(jobs, settings, args.work_dir, args.jobs)
    path, table, pngs = write_report(args.out, records, settings, time.perf_counter() - began)
    print(f"\nwrote {path}")
    for png in pngs:
        print(f"wrote {png}")
    print("\n" + table, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
