"""Experiment tracking: the ``report_to`` setting and a Weights & Biases run for trainers and the harness.

``report_to`` names where metrics go besides our own files, as a comma-separated list (``"tensorboard"``,
``"tensorboard,wandb"``, ``"none"``). W&B is imported only when asked for; its usual environment variables
apply (``WANDB_PROJECT``, default ``rgym``; ``WANDB_MODE=offline`` writes the run under the output folder
and never touches the network; ``WANDB_ENTITY``, ``WANDB_API_KEY``).
"""

from __future__ import annotations

import math
import os
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reasoning_gym.errors import ConfigError, require

__all__ = ["REPORTERS", "WandbRun", "parse_report_to"]

#: Names ``report_to`` accepts (``none`` alone turns every reporter off).
REPORTERS = ("tensorboard", "wandb")
#: File in the output folder that keeps the W&B run id, so a resumed training run continues the same W&B run.
RUN_ID_FILE = "wandb_run_id.txt"


def parse_report_to(value: str | Sequence[str] | None, allowed: Sequence[str] = REPORTERS) -> tuple[str, ...]:
    """``"tensorboard,wandb"`` (or a list of names) as a tuple of reporter names; ``"none"`` or empty as ``()``.

    Raises:
        ConfigError: A name that is not one of ``allowed``, or ``none`` together with other names.
    """
    if value is None:
        return ()
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [n.strip().lower() for n in names if n.strip()]
    if "none" in names:
        if len(names) > 1:
            raise ConfigError(f"report_to={value!r} mixes 'none' with reporters; give 'none' alone, or drop it.")
        return ()
    for name in names:
        if name not in allowed:
            raise ConfigError(
                f"Unknown report_to value {name!r} in {value!r}; use a comma-separated list of {', '.join(allowed)}, "
                "or none."
            )
    return tuple(dict.fromkeys(names))


class WandbRun:
    """One W&B run: the config, numeric metrics per step, and verdict counts added up in the summary.

    Args:
        output_dir: The run folder; W&B writes its files under ``output_dir/wandb``.
        config: The run's settings (shown as the W&B run config).
        job_type: ``"train"`` or ``"eval"``.
        name: Run name (default: the folder's name).
        resume: Continue the W&B run of an earlier call on the same folder (its id is kept in the folder).

    Raises:
        MissingDependencyError: The ``wandb`` package is not installed.
    """

    def __init__(
        self,
        output_dir: str | os.PathLike[str],
        config: Mapping[str, Any],
        *,
        job_type: str = "train",
        name: str | None = None,
        resume: bool = False,
    ) -> None:
        wandb = require("wandb", "wandb", "Logging to Weights & Biases (report_to=wandb)")
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        id_file = out / RUN_ID_FILE
        run_id = id_file.read_text().strip() if resume and id_file.is_file() else uuid.uuid4().hex[:12]
        self.run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", "rgym"),
            name=name or out.resolve().name,
            dir=str(out),
            config=dict(config),
            job_type=job_type,
            id=run_id,
            resume="allow",
        )
        id_file.write_text(run_id + "\n")
        self.verdicts: Counter[str] = Counter()

    def log(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Log the finite numbers of ``metrics`` (``verdict/<status>`` counts are also added up in the summary)."""
        numbers = {k: float(v) for k, v in metrics.items() if k != "step" and _finite(v)}
        for key, value in numbers.items():
            if key.startswith("verdict/"):
                self.verdicts[key.removeprefix("verdict/")] += int(value)
        if numbers:
            self.run.log(numbers, step=step)

    def summarize(self, metrics: Mapping[str, Any]) -> None:
        """Put the finite numbers of ``metrics`` into the run's summary (what W&B's run table shows)."""
        for key, value in metrics.items():
            if _finite(value):
                self.run.summary[key] = value

    def finish(self) -> None:
        """Write the total verdict counts into the summary and close the run."""
        for status, count in self.verdicts.items():
            self.run.summary[f"verdict_total/{status}"] = count
        self.run.finish()


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
