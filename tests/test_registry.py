"""The registry: ids, unknown-id errors, plugins through entry points, dataset envs in one call."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import gymnasium as gym
import pytest

import reasoning_gym as rg
from reasoning_gym import registry
from reasoning_gym.errors import ConfigError, ReasoningGymError, UnknownNameError


@pytest.mark.parametrize(
    "bad_id, suggestion",
    [("rg/MATH-500-v0", "rg/MATH500-v0"), ("rg/aime24-v0", "rg/AIME24-v0"), ("rg/GSM8k-v0", "rg/GSM8K-v0")],
)
def test_unknown_id_lists_close_matches(bad_id, suggestion):
    with pytest.raises(UnknownNameError) as err:
        rg.make(bad_id)
    message = str(err.value)
    assert f"Unknown environment id {bad_id!r}" in message
    assert f"Did you mean {suggestion!r}" in message.split("?")[0] or repr(suggestion) in message.split("?")[0]
    assert "Valid environment ids:" in message and "rg/Arithmetic-v0" in message


def test_ids_are_namespaced_and_versioned():
    for env_id in rg.list_envs("rg"):
        namespace, name, version = gym.envs.registration.parse_env_id(env_id)
        assert namespace == "rg" and name and version is not None
        assert gym.registry[env_id].max_episode_steps is None


@pytest.mark.parametrize(
    "env_id, message",
    [("NoNamespace-v0", "needs a namespace and a version"), ("rg/NoVersion", "needs a namespace and a version"),
     ("rg/Arithmetic-v0", "already registered")],
)  # fmt: skip
def test_register_env_rejects_bad_ids(env_id, message):
    with pytest.raises(ConfigError, match=message):
        rg.register_env(env_id, "reasoning_gym.envs.procedural.countdown:CountdownEnv")


def test_make_rejects_max_episode_steps():
    with pytest.raises(ConfigError, match="max_episode_steps"):
        rg.make("rg/Arithmetic-v0", max_episode_steps=1)


def test_register_dataset_env_in_one_call(tmp_path):
    path = tmp_path / "facts.jsonl"
    rows = [{"q": "What is 2 + 2?", "a": "4", "key": "p0"}, {"q": "What is 3 * 3?", "a": "9", "key": "p1"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    rg.register_dataset_env(
        "testorg/Facts-v0", data_files=path, problem_field="q", answer_field="a", id_field="key",
        prompt_template="Q: {question}\n{instruction}",
    )  # fmt: skip
    assert "testorg/Facts-v0" in rg.list_envs()
    env = rg.make("testorg/Facts-v0")
    assert len(env.unwrapped) == 2
    prompt, info = env.reset(options={"index": 1})
    assert prompt.startswith("Q: What is 3 * 3?\n") and info["problem_id"] == "p1"
    assert env.step("So it is \\boxed{9}.")[1] == 1.0


def test_register_dataset_env_validates_eagerly(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"question": "x"}) + "\n")
    with pytest.raises(ReasoningGymError, match=r"bad.jsonl, line 1: field 'problem' is missing"):
        rg.register_dataset_env("testorg/Bad-v0", data_files=path)
    assert "testorg/Bad-v0" not in gym.registry
    with pytest.raises(ConfigError, match="unknown placeholder"):
        rg.register_dataset_env(
            "testorg/Bad-v1", data_files=path, problem_field="question", prompt_template="{question} {q}"
        )


PLUGIN = textwrap.dedent(
    '''
    """A third-party package with one plain-Gymnasium env (no reasoning_gym base class)."""
    import gymnasium as gym
    from gymnasium import spaces


    class EchoEnv(gym.Env):
        def __init__(self):
            self.observation_space = spaces.Text(max_length=100, min_length=0)
            self.action_space = spaces.Text(max_length=100, min_length=0)

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            return "Say hello", {}

        def step(self, action):
            return "", float(action.strip() == "hello"), True, False, {}


    def register():
        gym.register(id="plugorg/Echo-v0", entry_point=EchoEnv)
    '''
)


def _install_fake_plugin(tmp_path, module: str, body: str) -> None:
    (tmp_path / f"{module}.py").write_text(body)
    dist = tmp_path / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[reasoning_gym.envs]\n{module} = {module}:register\n")


def test_plugin_entry_point_registers_plain_gymnasium_env(tmp_path):
    _install_fake_plugin(tmp_path, "rg_test_plugin", PLUGIN)
    code = (
        "import reasoning_gym as rg\n"
        "assert 'plugorg/Echo-v0' in rg.list_envs(), rg.list_envs()\n"
        "env = rg.make('plugorg/Echo-v0'); env.reset(seed=0)\n"
        "print(env.step('hello')[1])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=_env_with_path(tmp_path), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1.0"


def test_broken_plugin_is_a_clear_error(tmp_path):
    _install_fake_plugin(tmp_path, "rg_broken_plugin", "def register():\n    raise RuntimeError('boom')\n")
    code = "import reasoning_gym as rg\nrg.list_envs()\n"
    out = subprocess.run([sys.executable, "-c", code], env=_env_with_path(tmp_path), capture_output=True, text=True)
    assert out.returncode != 0
    assert "env plugin 'rg_broken_plugin'" in out.stderr and "RuntimeError: boom" in out.stderr
    assert registry.NO_PLUGINS_ENV in out.stderr
    skipped = subprocess.run(
        [sys.executable, "-c", code], env={**_env_with_path(tmp_path), registry.NO_PLUGINS_ENV: "1"}
    )
    assert skipped.returncode == 0


def _env_with_path(path) -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), os.environ.get("PYTHONPATH", "")])}


def test_importing_envs_does_not_import_torch():
    code = "import sys, reasoning_gym, reasoning_gym.envs; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
