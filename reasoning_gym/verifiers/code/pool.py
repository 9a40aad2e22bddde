"""The warm worker pool: start-up probing of layers, worker life cycle, retries and recycling."""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import sys
import tempfile
import time

from . import values, wire
from .handle import WorkerHandle, WorkerStartError
from .job import JobRequest, RunOutcome
from .runner import JobRun
from .sandbox import (
    FIRST_SPARE_LIMITS,
    SandboxSettings,
    SandboxUnavailableError,
    candidate_layers,
    probe_host,
    sandbox_python,
)

logger = logging.getLogger("reasoning_gym.verifiers.code")

_RECYCLE_AFTER = 500
_START_ATTEMPTS = 3
_RUN_ROOT_PREFIX = "rg-sandbox-"


class WorkerPool:
    """A fixed set of warm workers under the strongest isolation layer that starts (or a forced one).

    Args:
        settings: What to start; defaults to :meth:`SandboxSettings.from_env`.

    Raises:
        SandboxUnavailableError: No layer could start (the message lists each layer's failure and the fix).
    """

    def __init__(self, settings: SandboxSettings | None = None) -> None:
        self.settings = settings or SandboxSettings.from_env()
        self.layer: int | None = None
        self.failures: dict[int, str] = {}
        self._workers: list[WorkerHandle] = []
        self._idle: queue.Queue[WorkerHandle] = queue.Queue()
        self._run_root = ""
        self._closed = False
        self.owner_pid = os.getpid()
        # Bytecode compiled here can be shipped to the sandbox only if it runs this very interpreter.
        base = getattr(sys, "_base_executable", None) or sys.executable
        self.same_interpreter = os.path.realpath(base) == os.path.realpath(sandbox_python(self.settings))
        _remove_stale_run_roots()
        self._start()

    # ------------------------------------------------------------------------------------------ start-up
    def _start(self) -> None:
        for layer in candidate_layers(self.settings):
            try:
                self._start_layer(layer)
            except (WorkerStartError, SandboxUnavailableError, OSError) as exc:
                self.failures[layer] = str(exc)
                logger.warning("code sandbox: layer %d unavailable: %s", layer, exc)
                self._stop_workers()
                continue
            self.layer = layer
            logger.info("code sandbox ready: %s", json.dumps(self.info, sort_keys=True))
            return
        lines = "; ".join(f"layer {k}: {v}" for k, v in self.failures.items())
        raise SandboxUnavailableError(
            f"no code-sandbox layer could start ({lines}). Code rewards are refused rather than scored 0. "
            "Layer 1 needs only Linux and a working python3; check REASONING_GYM_SANDBOX_PYTHON / "
            "REASONING_GYM_SANDBOX_LAYER."
        )

    def _start_layer(self, layer: int) -> None:
        self._run_root = tempfile.mkdtemp(prefix=f"{_RUN_ROOT_PREFIX}{os.getpid()}-")
        os.chmod(self._run_root, 0o711)  # per-worker uids (layer 3) must traverse it, not list it
        for index in range(self.settings.worker_count()):
            worker = WorkerHandle(self.settings, layer, index, self._run_root)
            self._workers.append(worker)
            worker.start()
            _self_test(worker)
        for worker in self._workers:
            self._idle.put(worker)

    @property
    def info(self) -> dict:
        """Layer and confinement features, recorded in every verdict."""
        features = dict(self._workers[0].features) if self._workers else {}
        host = probe_host()
        features.update(
            layer=self.layer, workers=len(self._workers), bwrap=host["bwrap_version"] if self.layer == 2 else None
        )
        return features

    def worker_pids(self) -> list[int]:
        """Host pids of the processes that root each worker (bwrap for Layer 2), for audits and tests."""
        return [w.proc.pid for w in self._workers if w.proc is not None]

    # ---------------------------------------------------------------------------------------------- runs
    def run(self, request: JobRequest, new_stopper, make_judge=None) -> RunOutcome:
        """Run one job on a free worker; infrastructure failures are retried on a fresh worker.

        Args:
            request: The job.
            new_stopper: Factory of a fresh ``should_stop(outcome)`` callable for each attempt.
            make_judge: Factory of a fresh judge process for each attempt, or ``None``.
        """
        if self._closed:
            raise SandboxUnavailableError("the code sandbox pool was closed")
        worker = self._idle.get()
        try:
            outcome = RunOutcome(infra_error="not run")
            for _attempt in range(_START_ATTEMPTS):
                if worker.broken or worker.jobs >= _RECYCLE_AFTER:
                    error = self._restart(worker)
                    if error:
                        outcome = RunOutcome(infra_error=error)
                        continue
                try:
                    judge = make_judge() if make_judge is not None else None
                    outcome = JobRun(worker, request, new_stopper(), judge).run()
                except Exception as exc:  # a bug or an OS failure on our side: report it, never score it
                    logger.exception("code sandbox: run crashed on worker %d", worker.index)
                    outcome = RunOutcome(infra_error=f"{type(exc).__name__}: {exc}")
                worker.jobs += 1
                if "confine_error" in outcome.events:
                    outcome.infra_error = f"confinement failed: {outcome.events['confine_error'].get('msg')}"
                if outcome.infra_error is None:
                    _maybe_recycle(worker, outcome)
                    return outcome
                worker.mark_broken(outcome.infra_error)
                logger.warning(
                    "code sandbox: run failed on worker %d (%s); retrying", worker.index, outcome.infra_error
                )
            return outcome
        finally:
            self._idle.put(worker)

    def _restart(self, worker: WorkerHandle) -> str | None:
        worker.stop()
        try:
            worker.start()
        except (WorkerStartError, SandboxUnavailableError, OSError) as exc:
            logger.error("code sandbox: could not restart worker %d: %s", worker.index, exc)
            time.sleep(0.2)
            return f"could not restart sandbox worker: {exc}"
        return None

    # -------------------------------------------------------------------------------------------- close
    def close(self) -> None:
        """Stop every worker and remove the run directories."""
        self._closed = True
        self._stop_workers()

    def _stop_workers(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []
        self._idle = queue.Queue()
        if self._run_root:
            shutil.rmtree(self._run_root, ignore_errors=True)
            self._run_root = ""


def _maybe_recycle(worker: WorkerHandle, outcome: RunOutcome) -> None:
    """Retire a worker after anything abnormal: cheap insurance against state we did not think of."""
    exit_info = outcome.exit or {}
    if outcome.timed_out or outcome.output_overflow or outcome.protocol_error or exit_info.get("swept"):
        worker.mark_broken("recycled after an abnormal run")


def _self_test(worker: WorkerHandle) -> None:
    """Run a tiny program end to end (this also proves the interpreter is readable under the layer's uid)."""
    code = "import zipfile\ndef f():\n    return [1, (2, 3)]\n"
    request = JobRequest(code, "", ("f()",), (), *FIRST_SPARE_LIMITS)  # the spare's own limits: no respawn
    outcome = JobRun(worker, request, lambda out: False).run()
    frame = outcome.frames.get(0, {})
    try:
        ok = frame.get("ok") and values.decode(frame.get("v")) == [1, (2, 3)]
    except wire.WireError:
        ok = False
    if not ok or outcome.infra_error:
        events = {k: v.get("msg") or v.get("exc") for k, v in outcome.events.items() if k != "loaded"}
        detail = outcome.infra_error or events or outcome.output_tail.decode(errors="replace")[-500:]
        hint = ""
        if worker.layer == 3:  # the usual cause: a Python under /root (pyenv, venv base) the worker uid cannot read
            hint = " (Layer 3 runs as another uid: point REASONING_GYM_SANDBOX_PYTHON at an interpreter it can read)"
        raise WorkerStartError(f"layer {worker.layer} worker {worker.index} failed its self-test: {detail}{hint}")


def _remove_stale_run_roots() -> None:
    """Run directories of pools whose process died (a killed trainer cannot clean up after itself)."""
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        if not name.startswith(_RUN_ROOT_PREFIX):
            continue
        pid = name[len(_RUN_ROOT_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)
