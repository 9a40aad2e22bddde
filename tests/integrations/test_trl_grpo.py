"""TRL's own GRPOTrainer trains 2 steps on CPU with our dataset and reward function; its rewards are our verdicts.

The built-in tiny model is first warm-started (cached SFT on the env's worked solutions), so that its samples
are sometimes right and sometimes wrong: rewards that are all 0 could not tell a working reward function
from a broken one.
"""

import math

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import GRPOConfig, GRPOTrainer

from reasoning_gym.integrations.trl import completion_text, reward_function, to_hf_dataset
from reasoning_gym.trainers import get_trainer
from reasoning_gym.trainers.config import apply_overrides
from reasoning_gym.trainers.sft import warm_start
from reasoning_gym.verifiers import verify_math_batch

KW = {"steps": 1, "digits": 1, "operations": "+"}


class Snapshot(TrainerCallback):
    """Copies what GRPOTrainer logged about each step's completions (it keeps only the latest batch)."""

    def __init__(self) -> None:
        self.trainer, self.steps = None, []

    def on_step_end(self, args, state, control, **kwargs):
        logs = self.trainer._logs
        self.steps.append((list(logs["prompt"]), list(logs["completion"]), list(logs["rewards"]["rgym_verdict"])))


@pytest.fixture(scope="module")
def warm_tiny(tmp_path_factory):
    config = apply_overrides(
        get_trainer("grpo").Config,
        {
            "policy.path": "tiny",
            "env.kwargs": {**KW, "split": "train"},
            "sft.steps": 100,
            "sft.lr": 3e-3,
            "rollout.max_new_tokens": 48,
            "run.output_dir": str(tmp_path_factory.mktemp("sft")),
        },
    )
    return warm_start(config).path  # cached under $REASONING_GYM_CACHE/sft after the first run


@pytest.fixture(scope="module")
def grpo_run(warm_tiny, tmp_path_factory):
    dataset = to_hf_dataset("rg/Arithmetic-v0", limit=16, **KW)
    reward = reward_function("rg/Arithmetic-v0", **KW)
    args = GRPOConfig(
        output_dir=str(tmp_path_factory.mktemp("grpo")),
        max_steps=2,
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=48,
        learning_rate=1e-4,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        bf16=False,
        seed=0,
    )
    trainer = GRPOTrainer(
        model=AutoModelForCausalLM.from_pretrained(warm_tiny),
        processing_class=AutoTokenizer.from_pretrained(warm_tiny),
        reward_funcs=reward,
        args=args,
        train_dataset=dataset,
    )
    snapshot = Snapshot()
    snapshot.trainer = trainer
    trainer.add_callback(snapshot)
    trainer.train()
    answers = {row["prompt"][0]["content"]: row["answer"] for row in dataset}
    return trainer, snapshot.steps, answers, reward


def test_two_steps_ran(grpo_run):
    trainer, steps, _, _ = grpo_run
    assert trainer.state.global_step == 2 and len(steps) == 2
    assert all(len(completions) == 8 for _, completions, _ in steps)


def test_logged_rewards_are_our_verdicts(grpo_run):
    trainer, steps, answers, _ = grpo_run
    logged_means = [
        h["rewards/rgym_verdict/mean"] for h in trainer.state.log_history if "rewards/rgym_verdict/mean" in h
    ]
    all_rewards = []
    for (prompts, completions, rewards), logged_mean in zip(steps, logged_means, strict=True):
        golds = [answers[p[0]["content"]] for p in prompts]
        verdicts = verify_math_batch([completion_text(c) for c in completions], golds)  # graded anew, here
        assert rewards == [v.reward for v in verdicts]
        assert math.isclose(logged_mean, sum(rewards) / len(rewards))
        all_rewards += rewards
    assert 0.0 in all_rewards and 1.0 in all_rewards  # the warm start makes both happen


def test_verdict_counts_are_logged(grpo_run):
    trainer, steps, _, reward = grpo_run
    per_step = [{k: v for k, v in h.items() if k.startswith("verdict/")} for h in trainer.state.log_history[:2]]
    assert [sum(counts.values()) for counts in per_step] == [8, 8]
    assert sum(reward.status_counts.values()) == 16
    correct = sum(r for _, _, rewards in steps for r in rewards)
    assert reward.status_counts["correct"] == correct == sum(c.get("verdict/correct", 0) for c in per_step)
