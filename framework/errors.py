"""The one exception type users see.

Everything that is the user's to fix (a bad file, a bad config value, a spec that leaves no
rows) raises :class:`UserInputError` with a single line naming what is wrong and where. The
entry points print that line and exit non-zero instead of showing a traceback.
"""


class UserInputError(ValueError):
    """A problem in the user's data or configuration, described in one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))
