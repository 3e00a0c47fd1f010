"""Where a fact came from. Every fact in the model points back at a file and line."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Source(BaseModel):
    """A place in a file. ``line`` is 1-based; ``None`` when the fact has no single line (a whole file)."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file
