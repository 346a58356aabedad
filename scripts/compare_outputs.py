"""Compare the main job's CSV and Markdown outputs in two folders: same or different.

Usage: ``python scripts/compare_outputs.py OLD NEW``. Every ``.csv`` and ``.md`` under
either folder is compared line by line after normalising only what must differ between
two runs: timestamps (``created_at`` of alerts) and the output folder's own path; and
numbers that agree to a relative 1e-6 count as the same, because pyfixest's iterative
demeaning is not deterministic at the 7th digit (the pre-trend F of the same panel,
run four times by the same code, gave 1.145490489826215 and 1.1454906246855665). The
script prints a table ``file | same/different`` with what it normalised in each file,
the first differing line of each difference, and exits 1 if any file differs or is
missing from one side.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:?\d{2}|Z)?")
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
RTOL = 1e-6


def close(a: str, b: str) -> bool:
    """Whether two lines differ only in numbers that agree to :data:`RTOL`."""
    if NUMBER.sub("#", a) != NUMBER.sub("#", b):
        return False
    pairs = zip(NUMBER.findall(a), NUMBER.findall(b), strict=True)
    return all(math.isclose(float(x), float(y), rel_tol=RTOL) for x, y in pairs)


def normalised(path: Path, root: Path) -> tuple[list[str], dict[str, int]]:
    """The lines of ``path`` with timestamps and ``root``'s path replaced, and the counts."""
    text = path.read_text(encoding="utf-8")
    counts = {"output folder path": text.count(str(root))}
    text = text.replace(str(root), "<out>")
    text, counts["timestamp"] = TIMESTAMP.subn("<timestamp>", text)
    return text.splitlines(), {k: v for k, v in counts.items() if v}


def outputs(root: Path) -> set[str]:
    """Paths, relative to ``root``, of its CSV and Markdown files."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.suffix in (".csv", ".md")}


def compare(old: Path, new: Path) -> int:
    """Print the comparison table; return the number of files that differ."""
    names = sorted(outputs(old) | outputs(new))
    width = max((len(n) for n in names), default=4)
    print(f"{'file':<{width}} | result    | normalised")
    print(f"{'-' * width}-|-----------|-----------")
    differ = 0
    for name in names:
        if not (old / name).exists() or not (new / name).exists():
            differ += 1
            side = "OLD" if not (old / name).exists() else "NEW"
            print(f"{name:<{width}} | different | missing in {side}")
            continue
        before, done_old = normalised(old / name, old)
        after, done_new = normalised(new / name, new)
        done = {k: max(done_old.get(k, 0), done_new.get(k, 0)) for k in done_old | done_new}
        notes = ", ".join(f"{n} {k}s" for k, n in done.items()) or "-"
        if before == after:
            print(f"{name:<{width}} | same      | {notes}")
            continue
        if len(before) == len(after) and all(map(close, before, after)):
            rounded = sum(a != b for a, b in zip(before, after, strict=True))
            notes = ", ".join(n for n in (notes.strip("-"), f"{rounded} lines of numbers") if n)
            print(f"{name:<{width}} | same      | {notes} within {RTOL:g}")
            continue
        differ += 1
        print(f"{name:<{width}} | different | {notes}")
        line = next(
            (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
            min(len(before), len(after)),
        )
        print(f"    {len(before)} vs {len(after)} lines; first difference at line {line + 1}:")
        print(f"    OLD: {before[line][:200] if line < len(before) else '<end of file>'}")
        print(f"    NEW: {after[line][:200] if line < len(after) else '<end of file>'}")
    print(f"{len(names) - differ} same, {differ} different")
    return differ


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    old, new = (Path(a).resolve() for a in argv)
    return 1 if compare(old, new) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
