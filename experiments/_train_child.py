"""Run one training job with ``rgym train``'s command line and record the process's peak memory.

Usage (the experiment scripts start it; there is no need to run it by hand)::

    python experiments/_train_child.py ALGO --run.output_dir DIR [--dotted.flag VALUE ...]

After training it writes ``DIR/peak_memory.json``. It holds ``max_rss_mb``, the peak resident memory of this
process, and ``cuda_max_allocated_mb`` (``torch.cuda.max_memory_allocated``) on a GPU, or null on CPU. Child
processes such as verifier workers are not included. A parent process cannot read either number for one
child alone, so the child records them itself.

The peak RSS is ``VmHWM`` from ``/proc/self/status``, not ``getrusage``. Linux carries ``ru_maxrss`` over
``exec`` from the forked copy of the parent. A parent that is larger than the run, for example one that has
just built an SFT warm start, would then be reported instead of the run.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident set in MiB: ``VmHWM`` on Linux, else ``ru_maxrss`` (see the module docstring)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # reported in kB
    except OSError:
        pass
    scale = 2**20 if sys.platform == "darwin" else 1024  # macOS reports bytes, Linux KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def main(argv: list[str]) -> int:
    """Train with ``reasoning_gym.trainers.cli.main(argv)``, then write ``peak_memory.json`` into the run folder."""
    import torch

    from reasoning_gym.trainers.cli import main as train_main

    if "--run.output_dir" not in argv:
        raise SystemExit("_train_child.py needs --run.output_dir DIR: peak_memory.json is written there.")
    out = Path(argv[argv.index("--run.output_dir") + 1])
    code = train_main(argv)
    peak = {
        "max_rss_mb": peak_rss_mb(),
        "cuda_max_allocated_mb": torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None,
    }
    (out / "peak_memory.json").write_text(json.dumps(peak, indent=2) + "\n")
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
