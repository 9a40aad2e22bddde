"""The rgym command line (list / show / verify); train and eval have their own tests."""

from __future__ import annotations

import json

import pytest

from reasoning_gym.cli import main


def test_list_with_sizes(capsys, data_dir):
    assert main(["list", "--sizes", "--namespace", "rg"]) == 0
    rows = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    assert rows["rg/MATH500-v0"] == "500" and rows["rg/Arithmetic-v0"] == "unlimited"


def test_show_prints_prompt_gold_and_reference(capsys):
    assert main(["show", "rg/Arithmetic-v0", "--index", "2", "--solution", "--kwarg", "steps=2"]) == 0
    out = capsys.readouterr().out
    assert "Step 2:" in out and "# gold answer" in out and "\\boxed{" in out


@pytest.mark.parametrize("response, gold, code, status", [("\\boxed{1/2}", "\\frac12", 0, "correct"),
                                                          ("\\boxed{2}", "3", 1, "wrong")])  # fmt: skip
def test_verify_exit_code_and_json(capsys, response, gold, code, status):
    assert main(["verify", response, "--gold", gold]) == code
    assert json.loads(capsys.readouterr().out)["status"] == status


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ("list", "show", "verify", "train", "eval"))


def test_bad_kwarg_is_a_clear_error():
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        main(["show", "rg/Arithmetic-v0", "--kwarg", "steps"])
