"""Write a whole output folder atomically: fill a temporary folder beside it, then swap it in.

A failure while filling leaves the previous folder (or none), never a half-written one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def write_folder(target: str | os.PathLike, fill: Callable[[Path], T]) -> T:
    """Call ``fill(temporary folder)``, then put that folder at ``target``; returns what
    ``fill`` returned."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}-tmp-", dir=target.parent))
    old = None
    try:
        os.chmod(temp, 0o755)
        result = fill(temp)
        if target.exists():
            old = target.parent / f".{target.name}-old-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
        try:
            os.replace(temp, target)
        except OSError:
            if old is not None:
                os.replace(old, target)
                old = None
            raise
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return result
