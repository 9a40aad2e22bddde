"""reasoning_gym: a verifier-centric reasoning gym with pluggable RL trainers for LLMs."""

__version__ = "0.1.0"
