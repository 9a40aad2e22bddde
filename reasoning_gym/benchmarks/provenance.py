"""Provenance of an evaluation: what exactly was evaluated, on what data, by which code.

Published AIME/MATH numbers are hard to reproduce mostly because one of these was not recorded: the
weights, the problem set, the sampling settings, the prompt template or the grader version. Every
``results.json`` carries all of them, as hashes where the object is large.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import platform
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["chat_template_info", "dataset_fingerprint", "sha256_file", "software_versions", "weights_fingerprint"]

#: File name patterns that hold model weights.
WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.pt", "*.pth", "*.gguf")


def sha256_file(path: str | Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _local_folder(path: str) -> Path | None:
    """The local folder of a model: the path itself, or the Hugging Face cache snapshot of a hub id."""
    if Path(path).is_dir():
        return Path(path)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(path, local_files_only=True))
    except Exception:  # noqa: BLE001 - not a hub id, not cached, or huggingface_hub missing: no hash.
        return None


def weights_fingerprint(model: str, resolved: str) -> dict[str, Any]:
    """Hash the weight files of a model.

    Args:
        model: The path or hub id as the user gave it (``"tiny"`` included).
        resolved: The folder or hub id it resolved to.

    Returns:
        ``{"path", "resolved_path", "weights_sha256", "weight_files"}``; ``weights_sha256`` is the sha256 of
        the sorted ``name:sha256`` lines of every weight file, or ``None`` (with ``"note"``) when the model
        has no local folder.
    """
    folder = _local_folder(resolved)
    out: dict[str, Any] = {"path": model, "resolved_path": str(folder or resolved)}
    files = sorted({p for pattern in WEIGHT_PATTERNS for p in folder.rglob(pattern)}) if folder else []
    if not files:
        return {**out, "weights_sha256": None, "weight_files": {}, "note": "no local weight files found to hash"}
    hashes = {str(p.relative_to(folder)): sha256_file(p) for p in files}
    combined = hashlib.sha256("".join(f"{k}:{v}\n" for k, v in sorted(hashes.items())).encode()).hexdigest()
    return {**out, "weights_sha256": combined, "weight_files": hashes}


def dataset_fingerprint(env: Any, evaluated: int) -> dict[str, Any]:
    """Identify the problem set of an env: source file and its hash, sizes, and a hash of the problems used.

    ``problems_sha256`` covers the id, question, gold answer and prompt of each evaluated problem, so it
    also pins procedural problem sets and changes to the instruction.
    """
    source = getattr(env, "source", None)
    out: dict[str, Any] = {"source": source or f"procedural {type(env).__name__}", "file_sha256": None}
    if source and Path(str(source)).is_file():
        out["file_sha256"] = sha256_file(str(source))
    out["size"] = len(env)
    out["evaluated"] = evaluated
    digest = hashlib.sha256()
    for i in range(evaluated):
        p = env.get_problem(i)
        digest.update(json.dumps([p.id, p.question, p.answer, env.format_prompt(p)], ensure_ascii=False).encode())
    out["problems_sha256"] = digest.hexdigest()
    return out


def chat_template_info(tokenizer: Any) -> dict[str, Any]:
    """The chat template that rendered the prompts (``None`` for a base model: plain text was used)."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, Mapping):  # some tokenizers keep several named templates
        template = json.dumps(dict(template), sort_keys=True)
    return {
        "applied": bool(template),
        "sha256": hashlib.sha256(template.encode()).hexdigest() if template else None,
        "template": template or None,
    }


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def software_versions() -> dict[str, Any]:
    """Versions of reasoning_gym, its verifiers and the libraries that affect sampling, plus the date."""
    import reasoning_gym
    from reasoning_gym.verifiers.math_answer import MATH_VERIFIER_VERSION

    return {
        "reasoning_gym": reasoning_gym.__version__,
        "math_verifier": MATH_VERIFIER_VERSION,
        "math_verify": _version("math-verify"),
        "torch": _version("torch"),
        "transformers": _version("transformers"),
        "vllm": _version("vllm"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
