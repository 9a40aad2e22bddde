"""Environment registry: reasoning_gym's envs live in Gymnasium's own registry under ids ``rg/Name-vN``.

There is no second registry. :func:`list_envs` lists the ids registered through :func:`register_env`
(ours, and those of plugins), :func:`make` is ``gymnasium.make`` with plugin loading and a helpful error
for unknown ids. Third-party packages expose a callable under the entry-point group ``reasoning_gym.envs``;
it is called once, before the first ``make``/``list_envs``, and registers its envs (with
:func:`register_env`, :func:`register_dataset_env` or plain ``gymnasium.register``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import EnvSpec, load_env_creator, parse_env_id

from reasoning_gym.errors import ConfigError, ReasoningGymError, unknown_name

__all__ = [
    "ENTRY_POINT_GROUP",
    "NAMESPACE",
    "list_envs",
    "load_plugins",
    "make",
    "register_dataset_env",
    "register_env",
]

#: Namespace of the built-in envs.
NAMESPACE = "rg"
#: Entry-point group through which other packages register environments.
ENTRY_POINT_GROUP = "reasoning_gym.envs"
#: Set to 1 to skip third-party plugins (e.g. when one of them is broken).
NO_PLUGINS_ENV = "REASONING_GYM_NO_PLUGINS"

_OUR_IDS: set[str] = set()
_loaded_plugins: set[str] = set()
_plugin_lock = threading.Lock()


def register_env(env_id: str, entry_point: Any, *, kwargs: Mapping[str, Any] | None = None) -> EnvSpec:
    """Register an environment in Gymnasium's registry and in :func:`list_envs`.

    Args:
        env_id: ``Namespace/Name-vN``, e.g. ``"rg/Arithmetic-v0"`` or ``"myorg/Task-v1"``.
        entry_point: The env class, or ``"package.module:Class"``.
        kwargs: Default keyword arguments of the env.

    Returns:
        The registered ``EnvSpec``.

    Raises:
        ConfigError: The id is malformed or already registered with different arguments.
    """
    try:
        namespace, _, version = parse_env_id(env_id)
    except gym.error.Error as exc:
        raise ConfigError(
            f"Malformed env id {env_id!r}: {exc}. Use 'Namespace/Name-vN', e.g. 'rg/MyTask-v0'."
        ) from None
    if namespace is None or version is None:
        raise ConfigError(f"Env id {env_id!r} needs a namespace and a version, e.g. 'myorg/{env_id}-v0'.")
    kwargs = dict(kwargs or {})
    if env_id in gym.registry:
        existing = gym.registry[env_id]
        if existing.entry_point == entry_point and existing.kwargs == kwargs:
            _OUR_IDS.add(env_id)
            return existing  # Registering the same thing twice (e.g. a re-imported plugin) is harmless.
        raise ConfigError(f"Env id {env_id!r} is already registered (entry point {existing.entry_point!r}); bump -vN.")
    # Never max_episode_steps: a TimeLimit would mark the only step of every episode as truncated.
    gym.register(id=env_id, entry_point=entry_point, kwargs=kwargs)
    _OUR_IDS.add(env_id)
    return gym.registry[env_id]


def register_dataset_env(
    env_id: str,
    *,
    data_files: str | os.PathLike[str] | None = None,
    hub_path: str | None = None,
    hub_split: str = "train",
    hub_name: str | None = None,
    problem_field: str = "problem",
    answer_field: str = "answer",
    id_field: str | None = None,
    solution_field: str | None = None,
    verifier: str = "math",
    instruction: str | None = None,
    prompt_template: str | None = None,
    validate: bool = True,
) -> EnvSpec:
    r"""Register a new verifiable-reward environment over a dataset, without writing a class.

    Example:
        >>> register_dataset_env("myorg/Algebra-v0", data_files="algebra.jsonl",
        ...                      problem_field="question", answer_field="final")  # doctest: +SKIP
        >>> env = make("myorg/Algebra-v0")  # doctest: +SKIP

    Args:
        env_id: ``Namespace/Name-vN``.
        data_files: A local ``.jsonl``/``.json``/``.parquet`` file.
        hub_path: A Hugging Face dataset id (used when ``data_files`` is not given).
        hub_split: Split of the hub dataset.
        hub_name: Configuration of the hub dataset.
        problem_field: Field holding the problem text.
        answer_field: Field holding the gold answer.
        id_field: Field holding a unique id (default: the row number).
        solution_field: Field holding a reference solution, if any.
        verifier: ``"math"`` or ``"module:function"`` (``fn(problems, responses) -> list[Verdict]``).
        instruction: Text appended to each problem (default: the math ``\boxed{}`` instruction).
        prompt_template: Template with ``{question}`` and optionally ``{instruction}``.
        validate: Build the env once now, so that a bad file or field fails here rather than in ``make``.

    Returns:
        The registered ``EnvSpec``.
    """
    if data_files is None and hub_path is None:
        raise ConfigError(f"register_dataset_env({env_id!r}) needs data_files= or hub_path=.")
    kwargs: dict[str, Any] = {
        "fields": {"problem": problem_field, "answer": answer_field, "id": id_field, "solution": solution_field},
        "verifier": verifier,
    }
    if data_files is not None:
        kwargs["data_files"] = os.fspath(data_files)
    else:
        kwargs["hub"] = {"path": hub_path, "split": hub_split, "name": hub_name}
    for key, value in (("instruction", instruction), ("prompt_template", prompt_template)):
        if value is not None:
            kwargs[key] = value
    entry_point = "reasoning_gym.envs.dataset:DatasetEnv"
    if validate:  # through the entry point, as make() does: envs.dataset imports this module, not the reverse
        load_env_creator(entry_point)(**kwargs)  # Raises DatasetFormatError / ConfigError naming the problem.
    return register_env(env_id, entry_point, kwargs=kwargs)


def load_plugins() -> None:
    """Call every ``reasoning_gym.envs`` entry point once (skipped when ``REASONING_GYM_NO_PLUGINS=1``)."""
    if os.environ.get(NO_PLUGINS_ENV) == "1":
        return
    with _plugin_lock:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            key = f"{ep.name}={ep.value}"
            if key in _loaded_plugins:
                continue
            _loaded_plugins.add(key)
            before = set(gym.registry)
            try:
                ep.load()()
            except Exception as exc:
                raise ReasoningGymError(
                    f"The env plugin {ep.name!r} ({ep.value}, entry-point group {ENTRY_POINT_GROUP!r}) failed: "
                    f"{type(exc).__name__}: {exc}. Fix or uninstall the package that provides it, or set "
                    f"{NO_PLUGINS_ENV}=1 to skip plugins."
                ) from exc
            _OUR_IDS.update(set(gym.registry) - before)


def list_envs(namespace: str | None = None) -> list[str]:
    """Sorted ids of every reasoning_gym env (built-in and plugins), optionally of one namespace."""
    load_plugins()
    ids = (i for i in _OUR_IDS if i in gym.registry)
    return sorted(i for i in ids if namespace is None or i.startswith(f"{namespace}/"))


def make(env_id: str, **kwargs: Any) -> gym.Env:
    """Create an environment (``gymnasium.make`` with plugin loading and a helpful unknown-id error).

    Args:
        env_id: A registered id, e.g. ``"rg/MATH500-v0"``.
        **kwargs: Keyword arguments of the env (e.g. ``data_files=``, ``split=``).

    Raises:
        UnknownNameError: The id is not registered; the message lists close matches.
    """
    load_plugins()
    if not isinstance(env_id, str) or env_id not in gym.registry:
        raise unknown_name("environment id", str(env_id), list_envs())
    if "max_episode_steps" in kwargs:
        raise ConfigError("Do not pass max_episode_steps: every episode is exactly one step.")
    return gym.make(env_id, **kwargs)
