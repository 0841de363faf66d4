"""Path globs as used in ``paths``, ``inputs`` and ``affected.always``.

Matched against the whole project-relative path: ``*`` and ``?`` stay inside one folder, ``**``
spans folders (``**/`` also matches no folder, so ``**/conftest.py`` matches ``conftest.py``),
``[abc]`` is a character class, and a glob ending in ``/`` matches everything under it.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def compile_glob(glob: str) -> re.Pattern[str]:
    """The regular expression equivalent of ``glob``."""
    if glob.endswith("/"):
        glob += "**"
    out: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if glob.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in glob[index + 2 :]:
            end = glob.index("]", index + 2)
            body = glob[index + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(path: str, glob: str) -> bool:
    return compile_glob(glob.removeprefix("./")).match(path) is not None
