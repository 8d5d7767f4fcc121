"""The one exception type users see.

Everything that is the user's to fix (a bad file, a bad config value, a spec that leaves no
rows) raises :class:`UserInputError` with a single line naming what is wrong and where. The
entry points print that line and exit non-zero instead of showing a traceback.
"""


class UserInputError(ValueError):
    """A problem in the user's data or configuration, described in one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


def show_value(value: object, limit: int | None = None) -> str:
    """``repr`` for messages, with NumPy scalars as plain values (``1.5``, not ``np.float64(1.5)``)."""
    if isinstance(value, tuple):
        text = "(" + ", ".join(show_value(v) for v in value) + ")"
    else:
        item = getattr(value, "item", None)
        is_numpy_scalar = type(value).__module__ == "numpy" and callable(item) and getattr(value, "ndim", 1) == 0
        text = repr(item() if is_numpy_scalar else value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def first_line(error: BaseException) -> str:
    """The first line of an exception's message, for one-line reports of unexpected errors."""
    return (str(error).strip().splitlines() or [""])[0]
