"""verl's own code reads our export and calls our compute_score: RLHFDataset and custom_reward_function.

Skipped where verl cannot be imported (the main CI venv: verl pins numpy<2); ``.ci/verl`` runs it in a venv
with verl installed and fails if it was skipped. tests/integrations/test_export_verl.py checks the same file
against verl's documented schema everywhere.
"""

import pytest

try:
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn
    from verl.utils.dataset.rl_dataset import RLHFDataset
except ImportError as exc:
    pytest.skip(f"verl is not importable here ({exc}); .ci/verl runs this file", allow_module_level=True)

import reasoning_gym as rg
from reasoning_gym.integrations.export import export_env
from reasoning_gym.models.loading import load_tokenizer
from reasoning_gym.models.tiny import tiny_model_path


@pytest.fixture(scope="module")
def exported(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("verl")
    return {env_id: export_env(env_id, out / f"{env_id.split('/')[1]}.parquet", limit=6)[0]
            for env_id in ("rg/GSM8K-v0", "rg/HumanEval-v0")}  # fmt: skip


@pytest.mark.parametrize("env_id", ["rg/GSM8K-v0", "rg/HumanEval-v0"])
def test_rlhf_dataset_loads_the_export(exported, tmp_path, env_id):
    tokenizer = load_tokenizer(str(tiny_model_path("tiny")))
    config = OmegaConf.create({"prompt_key": "prompt", "max_prompt_length": 4096, "cache_dir": str(tmp_path)})
    dataset = RLHFDataset(data_files=[str(exported[env_id])], tokenizer=tokenizer, config=config)
    env = rg.make(env_id).unwrapped
    assert len(dataset) == 6
    for i in range(len(dataset)):
        item, problem = dataset[i], env.get_problem(i)
        assert item["raw_prompt"] == [{"role": "user", "content": env.format_prompt(problem)}]
        assert item["data_source"] == env_id and item["reward_model"]["style"] == "rule"
        assert item["index"] == i and item["extra_info"]["problem_id"] == problem.id


def test_verl_loads_and_calls_our_compute_score(exported, tmp_path):
    config = OmegaConf.create(
        {
            "reward": {
                "custom_reward_function": {"path": "pkg://reasoning_gym.integrations.verl", "name": "compute_score"}
            }
        }
    )
    compute_score = get_custom_reward_fn(config)
    tokenizer = load_tokenizer(str(tiny_model_path("tiny")))
    cfg = OmegaConf.create({"prompt_key": "prompt", "cache_dir": str(tmp_path)})
    for env_id, path in exported.items():
        env = rg.make(env_id).unwrapped
        item = RLHFDataset(data_files=[str(path)], tokenizer=tokenizer, config=cfg)[0]
        right, wrong = env.oracle_response(env.get_problem(0)), "I do not know."
        rewards = [
            compute_score(
                data_source=item["data_source"],
                solution_str=response,
                ground_truth=item["reward_model"]["ground_truth"],
                extra_info=item["extra_info"],
            )
            for response in (right, wrong)
        ]
        assert rewards == [1.0, 0.0], env_id
