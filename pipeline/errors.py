"""The pipeline's one error for bad input."""


class UsageError(ValueError):
    """Bad input (an argument, an option, a file handed in): says what was wrong and what is valid,
    raised before any expensive work. `python -m pipeline` exits 2 on it."""
