"""Benchmark suites: which environments to evaluate, on which fixed problem sets, with which sampling.

Built-in suites:

* ``paper``: AIME24, AIME25, AMC23, MATH500 and Minerva Math under the SPPO paper's protocol (Average@16:
  16 samples per problem, temperature 0.6, top-p 1.0, up to 8192 new tokens, the model's chat template
  with each env's instruction).
* one suite per benchmark with the same protocol: ``aime24``, ``aime25``, ``amc23``, ``math500``,
  ``minerva``; cheaper defaults for ``gsm8k`` and the procedural ``arithmetic`` and ``countdown`` (their
  ``split="test"`` problems ``0..199``).
* ``code`` (``humaneval`` + ``mbpp``), over ``rg/HumanEval-v0`` and ``rg/MBPP-v0``.

A suite may also be a registered env id (``rg/Countdown-v0``; procedural envs get ``split="test",
size=200``) or a JSON / TOML / YAML file::

    {"name": "my-suite", "samples": 4, "temperature": 0.6, "top_p": 1.0, "max_tokens": 1024,
     "benchmarks": [{"env_id": "rg/Countdown-v0", "name": "countdown", "kwargs": {"split": "test", "size": 50}},
                    {"env_id": "rg/GSM8K-v0"}]}
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reasoning_gym.errors import ConfigError, UnknownNameError, close_matches, require, unknown_name

__all__ = ["SUITES", "BenchmarkSpec", "Sampling", "Suite", "check_registered", "get_suite", "open_benchmark"]

#: Problems of a procedural env evaluated when no ``size`` is given.
DEFAULT_PROCEDURAL_SIZE = 200


@dataclasses.dataclass(frozen=True)
class Sampling:
    """How a suite samples by default (the command line may override each field).

    Attributes:
        samples: K, responses per problem.
        temperature: Sampling temperature (0 is greedy).
        top_p: Nucleus threshold (1.0 disables it; top-k is always off).
        max_tokens: Maximum new tokens per response.
    """

    samples: int = 16
    temperature: float = 0.6
    top_p: float = 1.0
    max_tokens: int = 8192

    def __post_init__(self) -> None:
        if self.samples < 1 or self.max_tokens < 1:
            raise ConfigError(f"samples and max_tokens must be >= 1, got {self.samples} and {self.max_tokens}.")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ConfigError(f"Need temperature >= 0 and 0 < top_p <= 1, got {self.temperature}, {self.top_p}.")


#: The SPPO paper's evaluation protocol (docs/sppo_paper.md section 4).
PAPER_SAMPLING = Sampling(samples=16, temperature=0.6, top_p=1.0, max_tokens=8192)
_CHEAP_SAMPLING = Sampling(samples=4, temperature=0.6, top_p=1.0, max_tokens=2048)


@dataclasses.dataclass(frozen=True)
class BenchmarkSpec:
    """One benchmark of a suite: an env id and the keyword arguments that fix its problem set."""

    name: str
    env_id: str
    kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Suite:
    """A named list of benchmarks with default sampling settings."""

    name: str
    benchmarks: tuple[BenchmarkSpec, ...]
    sampling: Sampling = PAPER_SAMPLING
    description: str = ""

    def __post_init__(self) -> None:
        names = [b.name for b in self.benchmarks]
        if not names:
            raise ConfigError(f"Suite {self.name!r} lists no benchmarks; add at least one env id.")
        if len(set(names)) != len(names):
            raise ConfigError(f"Suite {self.name!r} has repeated benchmark names {names}; give each a unique name.")

    def to_dict(self) -> dict[str, Any]:
        """The suite as plain JSON data (recorded in ``settings.json`` and ``results.json``)."""
        return {
            "name": self.name,
            "benchmarks": [{"name": b.name, "env_id": b.env_id, "kwargs": dict(b.kwargs)} for b in self.benchmarks],
            "default_sampling": dataclasses.asdict(self.sampling),
        }


_MATH = {
    "aime24": "rg/AIME24-v0",
    "aime25": "rg/AIME25-v0",
    "amc23": "rg/AMC23-v0",
    "math500": "rg/MATH500-v0",
    "minerva": "rg/MinervaMath-v0",
}
_PROCEDURAL = {"arithmetic": "rg/Arithmetic-v0", "countdown": "rg/Countdown-v0"}
_CODE = {"humaneval": "rg/HumanEval-v0", "mbpp": "rg/MBPP-v0"}
_TEST_SET = {"split": "test", "size": DEFAULT_PROCEDURAL_SIZE}


def _builtin_suites() -> dict[str, Suite]:
    math = tuple(BenchmarkSpec(n, e) for n, e in _MATH.items())
    code = tuple(BenchmarkSpec(n, e) for n, e in _CODE.items())
    suites = [Suite("paper", math, PAPER_SAMPLING, "SPPO paper Table 1: Avg@16, T=0.6, top-p 1.0, 8192 tokens")]
    suites += [Suite(b.name, (b,), PAPER_SAMPLING, f"{b.env_id} under the paper protocol") for b in math]
    suites.append(Suite("gsm8k", (BenchmarkSpec("gsm8k", "rg/GSM8K-v0"),), _CHEAP_SAMPLING, "GSM8K test (1319)"))
    for name, env_id in _PROCEDURAL.items():
        spec = BenchmarkSpec(name, env_id, _TEST_SET)
        suites.append(Suite(name, (spec,), _CHEAP_SAMPLING, f"{env_id} test problems 0..{DEFAULT_PROCEDURAL_SIZE - 1}"))
    suites.append(Suite("code", code, PAPER_SAMPLING, "HumanEval + MBPP, pass@k up to 16"))
    suites += [Suite(b.name, (b,), PAPER_SAMPLING, f"{b.env_id}, pass@k up to 16") for b in code]
    return {s.name: s for s in suites}


#: Built-in suites by name.
SUITES: dict[str, Suite] = _builtin_suites()


def get_suite(name: str) -> Suite:
    """Resolve a suite: a built-in name, a registered env id, or a JSON/TOML/YAML suite file.

    Raises:
        UnknownNameError: ``name`` is none of these; the message lists the built-in suites.
        ConfigError: A suite file is malformed.
    """
    if name in SUITES:
        return SUITES[name]
    if Path(name).suffix.lower() in {".json", ".toml", ".yaml", ".yml"}:
        return load_suite_file(name)
    import reasoning_gym as rg

    if name in rg.list_envs():
        return Suite(name, (_env_benchmark(name, {}),), PAPER_SAMPLING, f"{name} (env id)")
    near = close_matches(name, rg.list_envs(), n=3)
    hint = f" Or an env id: {', '.join(near)}?" if near else " Or give a registered env id, or a suite file."
    raise UnknownNameError(f"{unknown_name('suite', name, SUITES)}{hint}")


def _env_benchmark(env_id: str, kwargs: Mapping[str, Any], name: str | None = None) -> BenchmarkSpec:
    """A benchmark over ``env_id``; a procedural env without ``size`` gets the fixed test set."""
    import reasoning_gym as rg

    kwargs = dict(kwargs)
    if "size" not in kwargs:
        try:
            len(rg.make(env_id, **kwargs).unwrapped)
        except TypeError:  # procedural: no fixed problem set unless asked for one
            kwargs = {**_TEST_SET, **kwargs}
    short = env_id.split("/")[-1].rsplit("-v", 1)[0].lower()
    return BenchmarkSpec(name or short, env_id, kwargs)


_FILE_KEYS = {"name", "description", "benchmarks", *(f.name for f in dataclasses.fields(Sampling))}


def load_suite_file(path: str | Path) -> Suite:
    """Read a suite from a ``.json``, ``.toml`` or ``.yaml`` file (see the module docstring for the format)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Suite file {str(path)!r} does not exist; check the path.")
    data = _parse_file(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a suite file holds one object/table, got {type(data).__name__}.")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_FILE_KEYS)}.")
    entries = data.get("benchmarks")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f'{path}: "benchmarks" must be a non-empty list of {{"env_id": ..., "kwargs": ...}}.')
    benchmarks = tuple(_file_benchmark(entry, f"{path}, benchmarks[{i}]") for i, entry in enumerate(entries))
    sampling_keys = {f.name for f in dataclasses.fields(Sampling)}
    sampling = Sampling(**{**dataclasses.asdict(PAPER_SAMPLING), **{k: data[k] for k in sampling_keys & set(data)}})
    return Suite(str(data.get("name", path.stem)), benchmarks, sampling, str(data.get("description", path.name)))


def _file_benchmark(entry: Any, where: str) -> BenchmarkSpec:
    if isinstance(entry, str):
        entry = {"env_id": entry}
    if not isinstance(entry, dict) or "env_id" not in entry:
        raise ConfigError(f'{where}: expected an env id or {{"env_id": ..., "name": ..., "kwargs": {{...}}}}.')
    unknown = set(entry) - {"env_id", "name", "kwargs"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: env_id, name, kwargs.")
    if not isinstance(entry.get("kwargs", {}), dict):
        raise ConfigError(f"{where}: kwargs must be an object of env keyword arguments.")
    return _env_benchmark(str(entry["env_id"]), entry.get("kwargs", {}), entry.get("name"))


def _parse_file(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            return json.loads(text)
        if suffix == ".toml":
            try:
                import tomllib
            except ImportError:  # Python 3.10
                tomllib = require("tomli", "dev", "Reading TOML suite files on Python 3.10")
            return tomllib.loads(text)
        yaml = require("yaml", "dev", "Reading YAML suite files (or use .json/.toml)")
        return yaml.safe_load(text)
    except (ValueError, TypeError) as exc:  # JSONDecodeError, TOMLDecodeError and YAMLError subclasses
        raise ConfigError(f"{path}: cannot parse {suffix[1:].upper()}: {exc}") from None
    except Exception as exc:  # yaml.YAMLError does not derive from ValueError.
        raise ConfigError(f"{path}: cannot parse {suffix[1:].upper()}: {exc}") from None


def check_registered(suite: Suite) -> None:
    """Fail early, before loading a model, when an env of ``suite`` is not registered."""
    import reasoning_gym as rg

    known = rg.list_envs()
    for b in suite.benchmarks:
        if b.env_id not in known:
            near = close_matches(b.env_id, known, n=3)
            extra = (
                " The code environments (rg/HumanEval-v0, rg/MBPP-v0) are not registered in this installation yet;"
                " update reasoning_gym, or evaluate a math suite."
                if b.env_id in _CODE.values()
                else f" Did you mean {', '.join(near)}?"
                if near
                else ""
            )
            raise UnknownNameError(
                f"Suite {suite.name!r} (benchmark {b.name!r}) needs env {b.env_id!r}, which is not registered.{extra}"
                f" Registered envs: {', '.join(known)}."
            )


def open_benchmark(spec: BenchmarkSpec, limit: int | None = None) -> tuple[Any, int]:
    """Make the env of ``spec``; return its unwrapped env and how many problems to evaluate (``limit`` caps it).

    Raises:
        ConfigError: The env has no fixed problem set (procedural without ``size``).
    """
    import reasoning_gym as rg

    env = rg.make(spec.env_id, **dict(spec.kwargs)).unwrapped
    try:
        size = len(env)
    except TypeError:
        raise ConfigError(
            f"Benchmark {spec.name!r}: {spec.env_id} is procedural and has no fixed problem set; give it "
            f'"kwargs": {{"split": "test", "size": N}} in the suite.'
        ) from None
    return env, size if limit is None else min(size, limit)
