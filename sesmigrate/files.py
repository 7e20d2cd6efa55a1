"""Writing the files sesmigrate produces: whole or not at all.

A crash or Ctrl-C while writing must never leave half an inventory or plan behind, so
each file is written beside its target and renamed over it.
"""

import os
from pathlib import Path

from .errors import SesmigrateError


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step, or raise a one-line error and change nothing."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise SesmigrateError(f"cannot write {path}: {exc.strerror or exc}") from None


def read_text(path: Path, what: str) -> str:
    """A file's text, or a one-line error saying which file could not be read and why."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SesmigrateError(f"{what} {path} does not exist") from None
    except UnicodeDecodeError:
        raise SesmigrateError(f"{what} {path} is not UTF-8 text") from None
    except OSError as exc:
        raise SesmigrateError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
