r"""Math benchmark and training environments over public datasets.

Every env here is a :class:`~reasoning_gym.envs.dataset.DatasetEnv` graded by
:func:`~reasoning_gym.verifiers.verify_math`; only the data source differs.
"""

from __future__ import annotations

from typing import Any

from reasoning_gym.envs.dataset import DatasetEnv

__all__ = ["MATH_DATASETS", "MathEnv"]

_WITH_SOLUTION = {"problem": "problem", "answer": "answer", "id": "id", "solution": "solution"}
_ANSWER_ONLY = {"problem": "problem", "answer": "answer", "id": "id", "solution": None}

#: Env id -> (local file name, hub source, field map, expected number of problems or None).
MATH_DATASETS: dict[str, dict[str, Any]] = {
    "rg/MATH500-v0": {
        "file_name": "math500.jsonl",
        "hub": {"path": "HuggingFaceH4/MATH-500", "split": "test", "adapter": "math500"},
        "fields": _WITH_SOLUTION,
    },
    "rg/AIME24-v0": {
        "file_name": "aime24.jsonl",
        "hub": {"path": "HuggingFaceH4/aime_2024", "split": "train", "adapter": "answer_only"},
        "fields": _ANSWER_ONLY,
    },
    "rg/AIME25-v0": {
        "file_name": "aime25.jsonl",
        "hub": {"path": "MathArena/aime_2025", "split": "train", "adapter": "aime25"},
        "fields": _ANSWER_ONLY,
    },
    "rg/AMC23-v0": {
        "file_name": "amc23.jsonl",
        "hub": {"path": "math-ai/amc23", "split": "test", "adapter": "question_answer"},
        "fields": _ANSWER_ONLY,
    },
    "rg/MinervaMath-v0": {
        "file_name": "minerva_math.jsonl",
        "hub": {"path": "math-ai/minervamath", "split": "test", "adapter": "question_answer"},
        "fields": _WITH_SOLUTION,
    },
    "rg/GSM8K-v0": {
        "file_name": "gsm8k_test.jsonl",
        "hub": {"path": "openai/gsm8k", "name": "main", "split": "test", "adapter": "gsm8k"},
        "fields": _WITH_SOLUTION,
    },
    "rg/GSM8KTrain-v0": {
        "file_name": "gsm8k_train.jsonl",
        "hub": {"path": "openai/gsm8k", "name": "main", "split": "train", "adapter": "gsm8k"},
        "fields": _WITH_SOLUTION,
    },
    "rg/MATHTrain-v0": {
        "file_name": "math_train.jsonl",
        "hub": {"path": "DigitalLearningGmbH/MATH-lighteval", "split": "train", "adapter": "math_boxed"},
        "fields": _ANSWER_ONLY,
    },
    "rg/DAPOMath17k-v0": {
        "file_name": "dapo_math_17k.jsonl",
        "hub": {"path": "open-r1/DAPO-Math-17k-Processed", "name": "en", "split": "train", "adapter": "dapo_processed"},
        "fields": _ANSWER_ONLY,
    },
}


class MathEnv(DatasetEnv):
    r"""Competition and grade-school math, one problem per episode, graded by ``verify_math``.

    Description:
        The benchmarks MATH500 (500), AIME24 (30), AIME25 (30), AMC23 (40), Minerva Math (272) and GSM8K
        (1319, test split), and the training sets GSM8K train (7473), MATH train (7470) and DAPO-Math-17k
        (17398, deduplicated), each registered as ``rg/<Name>-v0``.

    Observation:
        The problem followed by "Please reason step by step, and put your final answer within \boxed{}."
        ``info["messages"]`` has the same text as a one-message chat, ready for any chat template.

    Action:
        The model's full response (any string, chain of thought included). The committed answer is the last
        ``<answer>`` tag, else the last committed ``\boxed{}`` (a box after a retraction replaces the earlier
        ones), else an explicit "final answer" statement or GSM8K's ``#### n``; text after ``</think>``
        overrides the thinking part.

    Reward:
        1.0 when the committed answer is mathematically equivalent to the gold answer, else 0.0. Hedged,
        approximate or missing answers score 0; ``info["verdict"]["status"]`` says which.

    Episode End:
        After the single ``step``: ``terminated=True``, ``truncated=False``.

    Arguments:
        data_files: A local file to read instead of ``$REASONING_GYM_DATA_DIR/<file>`` or the hub.
        instruction / prompt_template: Override the prompt (see :class:`DatasetEnv`).
        answer_extraction: ``"strict"`` (default, for training: boxes, ``<answer>`` tags, explicit final
            statements, the closing sentence after ``</think>``) or ``"flexible"`` (also the last value of the
            closing sentence when nothing is marked). ``info["extraction_rewards"]`` has the reward under both.

    Data:
        With ``REASONING_GYM_DATA_DIR`` set, the file of the same name as in ``shared/data`` is read
        (``math500.jsonl``, ``aime24.jsonl``, ...); otherwise the Hugging Face dataset listed in
        ``MATH_DATASETS``.

    Version History:
        * v0: Initial release.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("verifier", "math")
        super().__init__(**kwargs)
