"""Prompt drawing, scoring on env copies, and checkpoint folders."""

import dataclasses
import re
import string

import gymnasium as gym
import pytest
from gymnasium import spaces

from reasoning_gym.errors import ConfigError
from reasoning_gym.rollout import Sample
from reasoning_gym.trainers.episodes import (
    Episode,
    MixedPromptSource,
    ProblemKey,
    PromptSource,
    Scorer,
    accepts_split,
    fixed_keys,
    make_env,
    make_source,
    status_counts,
)


class CountingEnv(gym.Env):
    """Plain Gymnasium env; finite when given a size. Correct answer: the problem number."""

    def __init__(self, size=None):
        self.observation_space = spaces.Text(max_length=100, min_length=0, charset=string.printable)
        self.action_space = spaces.Text(max_length=100, min_length=0, charset=string.printable)
        self.size, self.problem = size, None

    def __len__(self):
        if self.size is None:
            raise TypeError("procedural")
        return self.size

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.problem = options["index"] if options else int(self.np_random.integers(1_000_000))
        return f"Say {self.problem}.", {}

    def step(self, action):
        return "", float(action == str(self.problem)), True, False, {}


def test_finite_envs_are_walked_in_shuffled_epochs():
    source = PromptSource(CountingEnv(size=5), seed=1)
    first = [e.key.index for e in source.next_batch(5)]
    second = [e.key.index for e in source.next_batch(5)]
    assert sorted(first) == sorted(second) == [0, 1, 2, 3, 4] and first != second
    assert source.state_dict() == {"epoch": 1, "position": 5, "skipped": 0}


def test_cursor_restores_the_same_future_prompts():
    source = PromptSource(CountingEnv(size=7), seed=3)
    source.next_batch(4)
    state = source.state_dict()
    expected = [e.key for e in source.next_batch(6)]
    restored = PromptSource(CountingEnv(size=7), seed=3)
    restored.load_state_dict(state)
    assert [e.key for e in restored.next_batch(6)] == expected


def test_procedural_envs_get_fresh_reproducible_seeds_and_a_chat_fallback():
    a, b = PromptSource(CountingEnv(), seed=0), PromptSource(CountingEnv(), seed=0)
    batch = a.next_batch(3)
    assert [e.prompt for e in batch] == [e.prompt for e in b.next_batch(3)]
    assert len({e.key.seed for e in batch}) == 3 and all(e.key.index is None for e in batch)
    assert batch[0].messages == [{"role": "user", "content": batch[0].prompt}]  # no info["messages"]
    assert [e.group for e in batch] == [0, 1, 2]


def test_rejected_prompts_are_skipped_and_counted():
    source = PromptSource(CountingEnv(size=10), seed=0)
    batch = source.next_batch(3, keep=lambda messages: "Say 1" not in messages[0]["content"])
    assert len(batch) == 3 and all(e.key.index != 1 for e in batch)
    with pytest.raises(RuntimeError, match=re.escape("raise --rollout.max_prompt_tokens")):
        source.next_batch(1, keep=lambda messages: False)


def episode(index, text):
    sample = Sample(0, [1], [2], text, [0.0], "stop")
    return Episode(key=ProblemKey(index=index), prompt="", messages=[], sample=sample)


@pytest.mark.parametrize("workers", [0, 3])
def test_scorer_resets_a_copy_to_each_problem(workers):
    scorer = Scorer(lambda: CountingEnv(size=20), num_workers=workers)
    episodes = [episode(i, str(i if i % 2 else i + 1)) for i in range(12)]
    scorer.score(episodes)
    scorer.close()
    assert [e.reward for e in episodes] == [float(i % 2) for i in range(12)]
    assert status_counts(episodes) == {"verdict/correct": 6, "verdict/wrong": 6}


class OtherCountingEnv(CountingEnv):
    """Same problems, but the right answer is the problem number plus one."""

    def step(self, action):
        return "", float(action == str(self.problem + 1)), True, False, {}


def test_mixed_sources_take_envs_in_turn_and_resume():
    source = make_source([CountingEnv(size=4), CountingEnv(size=6), CountingEnv()], seed=2)
    assert isinstance(source, MixedPromptSource)
    batch = source.next_batch(7)
    assert [e.key.env for e in batch] == [0, 1, 2, 0, 1, 2, 0] and [e.group for e in batch] == list(range(7))
    state = source.state_dict()
    expected = [e.key for e in source.next_batch(5)]
    restored = make_source([CountingEnv(size=4), CountingEnv(size=6), CountingEnv()], seed=2)
    restored.load_state_dict(state)
    assert [e.key for e in restored.next_batch(5)] == expected
    assert isinstance(make_source([CountingEnv(size=3)]), PromptSource)


def test_weighted_mixing_follows_the_weights():
    source = MixedPromptSource([CountingEnv(), CountingEnv()], seed=0, weights=[3, 1])
    share = sum(e.key.env == 0 for e in source.next_batch(400)) / 400
    assert 0.68 < share < 0.82
    with pytest.raises(ValueError, match="give one weight per env"):
        MixedPromptSource([CountingEnv()], weights=[1, 2])


def test_scorer_grades_each_episode_on_its_own_env():
    scorer = Scorer([lambda: CountingEnv(size=9), lambda: OtherCountingEnv(size=9)])
    episodes = [episode(3, "3"), episode(3, "4")]
    episodes[1] = dataclasses.replace(episodes[1], key=ProblemKey(index=3, env=1))
    scorer.score(episodes)
    scorer.close()
    assert [e.reward for e in episodes] == [1.0, 1.0]


def test_fixed_keys_are_the_same_every_time():
    assert fixed_keys(CountingEnv(size=3), 5) == [ProblemKey(index=i) for i in range(3)]
    procedural = fixed_keys(CountingEnv(), 4)
    assert procedural == fixed_keys(CountingEnv(), 4) and len({k.seed for k in procedural}) == 4


def test_env_kwargs_an_env_does_not_take_are_a_config_error():
    with pytest.raises(ConfigError, match=re.escape("set --env.kwargs (or --eval.kwargs) to arguments it takes")):
        make_env("rg/Arithmetic-v0", {"colour": "red"})
    assert accepts_split(make_env("rg/Arithmetic-v0")) and not accepts_split(CountingEnv())


class ChunkedEngine:
    """Answers each prompt with its own number, in chunks of 2, reporting each chunk as it is done."""

    def __init__(self, log):
        self.log, self.tokenizer = log, None

    def generate(self, prompts, params, *, on_done=None):
        samples = []
        for start in range(0, len(prompts), 2):
            chunk = [Sample(i, [1], [2], prompts[i][0]["content"].split()[1].rstrip("."), None, "stop")
                     for i in range(start, min(start + 2, len(prompts)))]  # fmt: skip
            self.log.append(("generated", len(chunk)))
            samples += chunk
            if on_done is not None:
                on_done(chunk)
        return samples


@pytest.mark.parametrize("workers", [0, 2])
def test_scoring_overlaps_generation_and_scores_the_returned_episodes(workers):
    from reasoning_gym.rollout import SamplingParams
    from reasoning_gym.trainers.episodes import sample_episodes

    log, futures = [], []
    source, scorer = PromptSource(CountingEnv(size=10), seed=0), Scorer(lambda: CountingEnv(size=10), workers)
    prompts = source.next_batch(5)

    def early(episodes):
        log.append(("submitted", len(episodes)))
        futures.append(scorer.submit(episodes))

    episodes = sample_episodes(ChunkedEngine(log), prompts, SamplingParams(), on_done=early)
    for future in futures:
        future.result()
    scorer.close()
    # Each chunk went to the scorer before the next one was generated.
    assert log == [("generated", 2), ("submitted", 2), ("generated", 2), ("submitted", 2), ("generated", 1),
                   ("submitted", 1)]  # fmt: skip
    assert [e.reward for e in episodes] == [1.0] * 5 and [e.key for e in episodes] == [p.key for p in prompts]
