"""Progress lines on stderr: Dagger's own output shows them under the function's span."""

from __future__ import annotations

import sys

import dagger


def progress(message: str) -> None:
    print(f"[jupyter-spark] {message}", file=sys.stderr, flush=True)


def step_failure(err: dagger.ExecError, note: str = "") -> str:
    """A failed build step in a few lines: which step (its command's first line) and how its output ends."""
    script = err.command[-1] if err.command else ""  # a build step's own script (recipe.STEP)
    first = next((line.strip() for line in script.splitlines() if line.strip() and not line.startswith("#")), "")
    tail = "\n".join((err.stderr or err.stdout or "").strip().splitlines()[-12:])
    return f"the step `{first[:160]}` exited {err.exit_code}{note}; its output ends:\n{tail}"
