"""Benchmark tests: a fake engine for fast runner tests (tests/conftest.py gives torch one thread)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class FakeSample:
    prompt_index: int
    text: str
    response_ids: list
    finish_reason: str = "stop"


class FakeTokenizer:
    chat_template = None  # prompts are rendered as plain text


class ScriptedEngine:
    """A rollout engine whose response to a prompt is ``script(prompt_text, sample_number)``."""

    def __init__(self, script):
        self.script = script
        self.tokenizer = FakeTokenizer()
        self.calls = []

    def generate(self, prompts, params):
        self.calls.append((len(prompts), params))
        out = []
        for i, messages in enumerate(prompts):
            text = messages[-1]["content"]
            for j in range(params.n):
                response = self.script(text, j)
                out.append(FakeSample(i, response, list(range(len(response.split())))))
        return out

    def load_weights(self, state_dict):
        pass


@pytest.fixture
def scripted():
    return ScriptedEngine
