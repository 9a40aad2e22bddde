"""Checkpoints: sharded training state (DCP), streamed Hugging Face folders, atomic writes and pruning."""

import json

import pytest
import torch
from safetensors.torch import load_file

from reasoning_gym.models.config import ModelConfig
from reasoning_gym.models.loading import Critic, load_critic, load_policy
from reasoning_gym.trainers import checkpoint as ckpt
from reasoning_gym.trainers.distributed import Distributed


@pytest.fixture
def trained(tmp_path):
    """A tiny policy and critic, each with an AdamW state that has taken one step."""
    out = {}
    for name, loader, path in (("policy", load_policy, "tiny"), ("critic", load_critic, "tiny-qwen2")):
        model, tokenizer = loader(ModelConfig(path=path))
        optim = torch.optim.AdamW(model.parameters(), lr=1e-2)
        ids = torch.tensor([[5, 6, 7, 8]])
        out_t = model(ids).logits if name == "policy" else model(ids, torch.ones_like(ids))
        out_t.float().pow(2).mean().backward()
        optim.step()
        out[name] = (model, optim, tokenizer)
    return out


def state_of(model, optim):
    return {k: v.clone() for k, v in model.state_dict().items()}, optim.state_dict()


def test_a_checkpoint_round_trips_weights_and_optimizer_state_exactly(trained, tmp_path):
    folder = ckpt.save_checkpoint(tmp_path, 3, Distributed(), trained, {"data": {"cursor": 7}})
    assert sorted(p.name for p in folder.iterdir()) == ["critic", "policy", "state", "trainer_state.pt"]
    assert (folder / "state" / ".metadata").is_file()
    before = {name: state_of(m, o) for name, (m, o, _) in trained.items()}
    fresh = {}
    for name, loader, path in (("policy", load_policy, "tiny"), ("critic", load_critic, "tiny-qwen2")):
        model, _ = loader(ModelConfig(path=path))
        fresh[name] = (model, torch.optim.AdamW(model.parameters(), lr=1e-2))
    extra = ckpt.load_checkpoint(folder, fresh)
    assert extra == {"data": {"cursor": 7}, "step": 3}
    for name, (model, optim) in fresh.items():
        weights, optim_state = before[name]
        assert all(torch.equal(model.state_dict()[k], v) for k, v in weights.items())
        loaded = optim.state_dict()["state"]
        for index, slots in optim_state["state"].items():
            for slot, value in slots.items():
                assert torch.equal(torch.as_tensor(loaded[index][slot]), torch.as_tensor(value)), (name, slot)


def test_hf_folders_load_with_from_pretrained(trained, tmp_path):
    from transformers import AutoModelForCausalLM

    folder = ckpt.save_checkpoint(tmp_path, 1, Distributed(), trained, {})
    policy, info = AutoModelForCausalLM.from_pretrained(folder / "policy", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    own = trained["policy"][0].state_dict()
    assert all(torch.equal(policy.state_dict()[k], own[k]) for k in own)
    critic = Critic.from_pretrained(str(folder / "critic"))
    assert all(torch.equal(critic.state_dict()[k], v) for k, v in trained["critic"][0].state_dict().items())
    assert (folder / "policy" / "tokenizer.json").is_file() and (folder / "policy" / "generation_config.json").is_file()


def test_large_models_are_written_in_several_files_with_an_index(trained, tmp_path):
    from transformers import AutoModelForCausalLM

    model, _, tokenizer = trained["policy"]
    ckpt.export_hf(model, tmp_path, Distributed(), tokenizer=tokenizer, max_shard_bytes=200_000)
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    files = sorted(set(index["weight_map"].values()))
    assert len(files) > 2 and files[0].endswith(f"-of-{len(files):05d}.safetensors")
    assert all(sum(t.numel() * t.element_size() for t in load_file(tmp_path / f).values()) <= 200_000 or
               len(load_file(tmp_path / f)) == 1 for f in files)  # fmt: skip
    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert all(torch.equal(reloaded.state_dict()[k], v) for k, v in model.state_dict().items())


def test_checkpoints_are_atomic_and_pruned(trained, tmp_path):
    (tmp_path / ".tmp-checkpoint-9").mkdir()  # an interrupted save is never taken for a checkpoint
    assert ckpt.latest_checkpoint(tmp_path) is None and ckpt.resume_point(tmp_path, resume=False) is None
    for step in (1, 2, 10):
        ckpt.save_checkpoint(tmp_path, step, Distributed(), trained, {"x": step}, keep_last=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-checkpoint-9", "checkpoint-10", "checkpoint-2"]
    assert ckpt.latest_checkpoint(tmp_path).name == "checkpoint-10"  # numeric, not lexicographic, order
    assert ckpt.load_trainer_state(tmp_path / "checkpoint-10") == {"x": 10, "step": 10}
    with pytest.raises(FileExistsError, match="pass --run.resume"):
        ckpt.resume_point(tmp_path, resume=False)


def test_a_save_cut_short_leaves_the_previous_checkpoint_usable(trained, tmp_path, monkeypatch):
    first = ckpt.save_checkpoint(tmp_path, 1, Distributed(), trained, {"data": 1})
    real_export = ckpt.export_hf

    def dies_half_way(model, out_dir, dist, **kwargs):
        real_export(model, out_dir, dist, **kwargs)
        raise KeyboardInterrupt  # stands in for the process dying in the middle of a save

    monkeypatch.setattr(ckpt, "export_hf", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        ckpt.save_checkpoint(tmp_path, 2, Distributed(), trained, {"data": 2})
    monkeypatch.undo()
    assert ckpt.resume_point(tmp_path, resume=True) == first
    assert ckpt.load_trainer_state(first) == {"data": 1, "step": 1}
    # The next save of that step replaces the leftovers; re-saving a step swaps the copies safely.
    ckpt.save_checkpoint(tmp_path, 2, Distributed(), trained, {"data": 2})
    ckpt.save_checkpoint(tmp_path, 2, Distributed(), trained, {"data": 3})
    assert ckpt.load_trainer_state(ckpt.latest_checkpoint(tmp_path))["data"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-1", "checkpoint-2"]


def test_tied_embeddings_are_written_once_and_re_tied_on_load(tmp_path):
    from transformers import AutoModelForCausalLM, Qwen2ForCausalLM

    from reasoning_gym.models.tiny import tiny_model_path

    config = AutoModelForCausalLM.from_pretrained(tiny_model_path("tiny-qwen2")).config
    config.tie_word_embeddings = True
    model = Qwen2ForCausalLM(config)
    assert model.lm_head.weight is model.model.embed_tokens.weight
    ckpt.export_hf(model, tmp_path, Distributed())
    assert "lm_head.weight" not in load_file(tmp_path / "model.safetensors")
    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert reloaded.lm_head.weight is reloaded.model.embed_tokens.weight
    assert torch.equal(reloaded.lm_head.weight, model.lm_head.weight)
