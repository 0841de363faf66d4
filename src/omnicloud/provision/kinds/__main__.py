"""``python -m omnicloud.provision.kinds [docs/environments.md]``: rewrite the kinds table."""

from __future__ import annotations

import sys
from pathlib import Path

from omnicloud.provision.kinds import with_kinds_table


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "docs/environments.md")
    target.write_text(with_kinds_table(target.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
