"""Sandboxed code verifier: run a model's program against unit tests and judge it outside the sandbox.

The verdict is computed in this (trusted) process from *values* the sandboxed program returns; expected
outputs never enter the sandbox, and exit codes or printed markers decide nothing. Isolation comes in layers
(fork-server + rlimits + Landlock + seccomp; bubblewrap namespaces; per-worker uids and cgroups), probed
at start-up and recorded in every verdict. See :mod:`.sandbox` for the layers and :mod:`.asserts` for how
tests are split between the sandbox and the judge.
"""

from .api import CodeTask, build_verdict, get_pool, shutdown_pool, verify_code, verify_code_batch
from .asserts import TestPlan, build_plan
from .extract import extract_code
from .pool import WorkerPool, WorkerStartError
from .sandbox import SandboxSettings, SandboxUnavailableError

__all__ = [
    "CodeTask",
    "SandboxSettings",
    "SandboxUnavailableError",
    "TestPlan",
    "WorkerPool",
    "WorkerStartError",
    "build_plan",
    "build_verdict",
    "extract_code",
    "get_pool",
    "shutdown_pool",
    "verify_code",
    "verify_code_batch",
]
