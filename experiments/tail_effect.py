"""Tail effect (paper Fig. 1): where along a response does a token-level critic tell right from wrong?

Claim tested (SPPO paper, arXiv 2604.08865, section 1 and appendix B): the token-level PPO critic's values
V(s_t) on correct and incorrect trajectories stay entangled through the reasoning and separate only in the
last few tokens. Credit then follows token position rather than the content of a step.

Method: train PPO with GAE and its usual squared-error token-level critic (the PPO-GAE job of
time_to_target.py, reused when that script has run). From each seed's final checkpoint, sample two responses
for each of 200 held-out problems at the training temperature. Score them, and read the critic's V(s_t) at
every response position t, the value before token t is emitted, exactly as the trainer computes it. Then
compare correct and wrong trajectories at each position. The separation is the AUC, P(V of a correct
trajectory > V of a wrong one), at relative positions 0% (end of the prompt), 25%, 50%, 75% and 100%
(before the last token). An AUC of 0.5 means no separation and 1.0 means perfect separation.

Outputs, in ``--out`` (default docs/results): ``tail_effect.md``, ``tail_effect_relative.png`` (V against
relative position, with single trajectories thin and the group means bold, as in Fig. 1),
``tail_effect_absolute.png`` (V against token position) and ``tail_effect_auc.png`` (AUC against relative
position, mean ± std over seeds).

Run::

    python experiments/tail_effect.py           # 3 PPO runs + analysis: about 7 min on 2 cores, about 1 min
                                                # after time_to_target.py (its PPO runs are reused)
    python experiments/tail_effect.py --quick --out /tmp/tail   # smoke test, well under a minute
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _cli import base_parser, command_line, doc_intro, finish, resolve_dirs
from _curves import mean_std
from _jobs import FULL, PPO, QUICK, make_jobs
from _report import machine_info, md_table, new_figure, save_figure, settings_table, write_report
from _runs import RunResult, run_jobs

ENV_ID = "rg/Arithmetic-v0"
QUANTILES = (0.0, 0.25, 0.5, 0.75, 1.0)
#: Relative positions at which V is interpolated for the relative-position plots.
GRID = np.linspace(0.0, 1.0, 21)
#: Single trajectories drawn thin per group in the relative-position plot (Fig. 1 draws a handful).
SHOWN = 10


@dataclass
class Trajectories:
    """One seed's sampled held-out responses and the critic's values along them.

    Attributes:
        seed: The run's seed.
        values: ``V(s_t)`` for t = 0 .. length - 1 of each response.
        correct: Whether each response was scored correct.
    """

    seed: int
    values: list[np.ndarray]
    correct: list[bool]

    def group(self, correct: bool) -> list[np.ndarray]:
        """The value arrays of the correct (or the wrong) responses."""
        return [v for v, ok in zip(self.values, self.correct) if ok == correct]


def held_out_prompts(env_kwargs: dict, size: int) -> list:
    """The first ``size`` problems of the test split that the trainer's evaluation uses, as prompt episodes."""
    from reasoning_gym.trainers.episodes import Episode, fixed_keys, make_env

    env = make_env(ENV_ID, {**env_kwargs, "split": "test"})
    prompts = []
    for i, key in enumerate(fixed_keys(env, size)):
        prompt, info = env.reset(**key.reset_kwargs())
        messages = list(info.get("messages") or [{"role": "user", "content": prompt}])
        prompts.append(Episode(key=key, prompt=prompt, messages=messages, group=i))
    env.close()
    return prompts


def sample_and_value(run: RunResult, prompts: list, samples: int) -> Trajectories:
    """Sample from the run's final policy, score the responses, and read its critic's V(s_t) along each."""
    import torch

    from reasoning_gym.models.batching import TokenBatch
    from reasoning_gym.models.config import ModelConfig
    from reasoning_gym.models.loading import load_critic, load_policy
    from reasoning_gym.rollout import SamplingParams, make_engine
    from reasoning_gym.trainers.episodes import Scorer, make_env, sample_episodes
    from reasoning_gym.trainers.ppo import critic_outputs

    flags, checkpoint = run.job.flags, run.folder / f"checkpoint-{run.job.steps}"
    if not (checkpoint / "critic").is_dir():
        raise RuntimeError(f"{checkpoint}/critic is missing; delete {run.folder} and re-run to retrain it.")
    policy, tokenizer = load_policy(ModelConfig(path=str(checkpoint / "policy")))
    critic, _ = load_critic(ModelConfig(path=str(checkpoint / "critic")))
    params = SamplingParams(
        flags["rollout.temperature"], 1.0, flags["rollout.max_new_tokens"], n=samples, seed=run.job.seed
    )
    episodes = sample_episodes(make_engine("hf", policy, tokenizer), prompts, params)
    scorer = Scorer(lambda: make_env(ENV_ID, {**flags["env.kwargs"], "split": "test"}))
    scorer.score(episodes)
    scorer.close()
    batch = TokenBatch(
        [e.sample.prompt_ids for e in episodes], [e.sample.response_ids for e in episodes], tokenizer.pad_token_id
    )
    with torch.no_grad():
        parts = [critic_outputs(critic, batch.micro(rows)) for rows in torch.arange(len(episodes)).split(64)]
        outputs = torch.cat([torch.nn.functional.pad(p, (0, batch.width - p.shape[1])) for p in parts])
    if flags.get("critic_loss") == "bce":  # a BCE critic outputs logits
        outputs = torch.sigmoid(outputs)
    lengths = batch.response_mask.sum(-1).tolist()
    values = [outputs[i, :n].numpy() for i, n in enumerate(lengths) if n > 0]
    correct = [e.reward >= 1.0 for e, n in zip(episodes, lengths) if n > 0]
    return Trajectories(run.job.seed, values, correct)


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a positive's score > a negative's), ties counting one half (the Mann-Whitney AUC); NaN if a side is empty."""
    if len(positive) == 0 or len(negative) == 0:
        return float("nan")
    diff = positive[:, None] - negative[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean())


def at_relative(values: list[np.ndarray], q: float) -> np.ndarray:
    """Each trajectory's value at relative position ``q`` (0: first response position, 1: last)."""
    return np.array([v[round(q * (len(v) - 1))] for v in values])


def on_grid(values: list[np.ndarray]) -> np.ndarray:
    """Each trajectory's values linearly interpolated on :data:`GRID` ``[N, len(GRID)]``."""
    return np.array(
        [np.interp(GRID, np.linspace(0.0, 1.0, len(v)), v) if len(v) > 1 else np.full(len(GRID), v[0]) for v in values]
    )


def auc_curve(traj: Trajectories, qs: np.ndarray | tuple = GRID) -> list[float]:
    """AUC of correct against wrong trajectories at each relative position in ``qs``."""
    good, bad = traj.group(True), traj.group(False)
    return [auc(at_relative(good, q), at_relative(bad, q)) if good and bad else float("nan") for q in qs]


def auc_table(all_traj: list[Trajectories]) -> str:
    """Per seed: trajectory counts and AUC at :data:`QUANTILES`; then the mean ± std over seeds."""
    rows, per_q = [], {q: [] for q in QUANTILES}
    for traj in all_traj:
        aucs = auc_curve(traj, QUANTILES)
        for q, a in zip(QUANTILES, aucs):
            per_q[q].append(a)
        counts = [len(traj.values), sum(traj.correct), len(traj.values) - sum(traj.correct)]
        rows.append([f"seed {traj.seed}", *counts, *(_fmt(a) for a in aucs)])
    if len(all_traj) > 1:
        rows.append(["mean ± std", "", "", "", *(mean_std(per_q[q]) for q in QUANTILES)])
    headers = ["run", "trajectories", "correct", "wrong", *(f"AUC at {q:.0%}" for q in QUANTILES)]
    return md_table(headers, rows)


def value_table(all_traj: list[Trajectories]) -> str:
    """Mean V (pooled over seeds) of correct and of wrong trajectories at :data:`QUANTILES`, and the gap."""
    rows = []
    for name, ok in (("correct", True), ("wrong", False)):
        pooled = [v for t in all_traj for v in t.group(ok)]
        rows.append([name, *(_fmt(float(at_relative(pooled, q).mean())) if pooled else "n/a" for q in QUANTILES)])
    return md_table(["mean V(s_t)", *(f"{q:.0%}" for q in QUANTILES)], rows)


def _fmt(x: float) -> str:
    return "n/a" if np.isnan(x) else f"{x:.3f}"


def plot_relative(all_traj: list[Trajectories], png: Path) -> Path:
    """V against relative position: a few single trajectories thin, the pooled group means bold."""
    fig, ax = new_figure()
    for name, ok, colour in (("correct", True, "tab:blue"), ("wrong", False, "tab:red")):
        pooled = [v for t in all_traj for v in t.group(ok)]
        if not pooled:
            continue
        for v in all_traj[0].group(ok)[:SHOWN]:
            ax.plot(np.linspace(0, 1, len(v)), v, color=colour, alpha=0.25, linewidth=0.8)
        ax.plot(GRID, on_grid(pooled).mean(0), color=colour, linewidth=2.5, label=f"{name} (mean of {len(pooled)})")
    ax.set(xlabel="relative position in the response (0: after the prompt, 1: before the last token)", ylabel="V(s_t)")
    ax.set_title("Token-level PPO critic along held-out trajectories")
    return save_figure(fig, ax, png)


def plot_absolute(all_traj: list[Trajectories], png: Path, min_count: int = 5) -> Path:
    """Mean V ± standard error against token position, where at least ``min_count`` responses are that long."""
    fig, ax = new_figure()
    for name, ok, colour in (("correct", True, "tab:blue"), ("wrong", False, "tab:red")):
        pooled = [v for t in all_traj for v in t.group(ok)]
        xs, means, errs = [], [], []
        for pos in range(max((len(v) for v in pooled), default=0)):
            column = np.array([v[pos] for v in pooled if len(v) > pos])
            if len(column) >= min_count:
                xs.append(pos)
                means.append(column.mean())
                errs.append(column.std(ddof=1) / np.sqrt(len(column)))
        if xs:
            means, errs = np.array(means), np.array(errs)
            ax.plot(xs, means, color=colour, label=f"{name} ({len(pooled)})")
            ax.fill_between(xs, means - errs, means + errs, color=colour, alpha=0.2, linewidth=0)
    ax.set(xlabel="response token position t", ylabel="mean V(s_t) ± s.e.", title="Critic value by token position")
    return save_figure(fig, ax, png)


def plot_auc(all_traj: list[Trajectories], png: Path) -> Path:
    """AUC of correct against wrong trajectories along the relative position, mean ± std over seeds."""
    fig, ax = new_figure()
    curves = np.array([auc_curve(t) for t in all_traj])
    if not np.isnan(curves).all():
        mean = np.nanmean(curves, axis=0)
        std = np.nanstd(curves, axis=0, ddof=1) if len(curves) > 1 else np.zeros_like(mean)
        ax.plot(GRID, mean, "o-", color="tab:purple", label=f"AUC, mean over {len(curves)} seed(s)")
        ax.fill_between(GRID, mean - std, mean + std, color="tab:purple", alpha=0.2, linewidth=0)
    ax.axhline(0.5, color="black", linestyle=":", linewidth=1, label="no separation")
    ax.set(xlabel="relative position in the response", ylabel="AUC: V(correct) > V(wrong)", ylim=(0.0, 1.02))
    ax.set_title("Where the token-level critic separates correct from wrong")
    return save_figure(fig, ax, png)


def main(argv: list[str] | None = None) -> int:
    """Train (or reuse) PPO on every seed, analyse its critic on held-out samples, write and print the report."""
    parser = base_parser(__doc__)
    parser.add_argument("--problems", type=int, default=None, help="held-out problems (default: 200; quick: 8)")
    parser.add_argument("--samples", type=int, default=2, help="responses per problem (default: 2)")
    args = parser.parse_args(argv)
    out, work = resolve_dirs(args, "tail_effect")
    settings = QUICK if args.quick else FULL
    runs = run_jobs(make_jobs([PPO], settings, args.seeds), work, threads=args.threads)
    _threads(args.threads)
    prompts = held_out_prompts(settings.env_kwargs, args.problems or (8 if args.quick else 200))
    all_traj = []
    for run in runs:
        all_traj.append(sample_and_value(run, prompts, args.samples))
        print(f"seed {run.job.seed}: {len(all_traj[-1].values)} trajectories, {sum(all_traj[-1].correct)} correct")
    pngs = [
        plot_relative(all_traj, out / "tail_effect_relative.png"),
        plot_absolute(all_traj, out / "tail_effect_absolute.png"),
        plot_auc(all_traj, out / "tail_effect_auc.png"),
    ]
    result_table = auc_table(all_traj)
    sections = [
        "# Tail effect of the token-level PPO critic (SPPO paper Fig. 1)",
        doc_intro(__doc__),
        f"Command: `{command_line()}`\n\nMachine: {machine_info(args.threads)}",
        "## Settings\n\n" + settings_table(
            settings, seeds=" ".join(map(str, args.seeds)), ppo_steps=runs[0].job.steps,
            held_out_problems=len(prompts), samples_per_problem=args.samples,
            ppo_final_accuracy=mean_std([r.final_accuracy for r in runs]),
        ),
        "## Separation of correct from wrong trajectories (AUC of V(s_t))\n\n" + result_table,
        "## Mean V(s_t) by relative position, pooled over seeds\n\n" + value_table(all_traj),
        "\n\n".join(f"![{p.stem}]({p.name})" for p in pngs),
    ]  # fmt: skip
    path = write_report(out, "tail_effect.md", sections)
    finish(path, result_table, pngs)
    return 0


def _threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


if __name__ == "__main__":
    raise SystemExit(main())
