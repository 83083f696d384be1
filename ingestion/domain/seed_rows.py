"""Reading a seed CSV row by row; a row that does not parse fails with the file and line that hold it."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class SeedError(ValueError):
    """A seed file that cannot be read: ``path:line: what is wrong``."""


def read_seed(path: Path, build: Callable[[dict[str, str]], T]) -> list[T]:
    """``build`` applied to every row of ``path``; a missing column, a bad number or date, or a ragged row
    raises :class:`SeedError` naming the file and line."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise SeedError(f"{path}: cannot be read: {error}") from error
    with handle:
        reader = csv.DictReader(handle)
        found = []
        try:
            for row in reader:
                if None in row or None in row.values():
                    raise ValueError(f"{len(reader.fieldnames or [])} columns expected, the row has another number")
                found.append(build(row))
        except (KeyError, ValueError, TypeError) as error:
            detail = f"missing column {error}" if isinstance(error, KeyError) else str(error)
            raise SeedError(f"{path}:{reader.line_num}: {detail}") from error
        except UnicodeDecodeError as error:
            raise SeedError(f"{path}:{reader.line_num + 1}: not UTF-8 ({error.reason})") from error
    return found
