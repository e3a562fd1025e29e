"""Progress lines on stderr: Dagger's own output shows them under the function's span."""

from __future__ import annotations

import sys


def progress(message: str) -> None:
    print(f"[jupyter-spark] {message}", file=sys.stderr, flush=True)
