"""Cold and warm certification of the messaging backends (NATS JetStream, RabbitMQ).

    python bench/messaging_backends.py [--rounds 1] [--workers 2]

For each backend: ``omnicloud certify --provider ... -n 2`` in the ``local`` environment of a
copy of this repository's omnicloud.toml with ``reuse = true``, first with no server running
(cold: the run starts it), then again (warm: the run finds it and reuses it); the environment is
torn down after each backend. The peer is the cold run itself: warm / cold is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = {
    "nats": ["nats", "nats-producer", "nats-consumer", "nats-delayed"],
    "rabbitmq": ["rabbitmq", "rabbitmq-producer", "rabbitmq-consumer", "rabbitmq-delayed"],
}
OMNICLOUD = [str(Path(sys.executable).with_name("omnicloud"))]  # the console script


def reusing_config(directory: Path) -> Path:
    text = (ROOT / "omnicloud.toml").read_text(encoding="utf-8")
    local = '[environments.local]\nprovisioner = "process"\n'
    if local not in text:
        raise SystemExit("omnicloud.toml has no plain [environments.local] block to copy")
    path = directory / "omnicloud.toml"
    path.write_text(text.replace(local, local + "reuse = true\n", 1), encoding="utf-8")
    return path


def certify(config: Path, providers: list[str], workers: int, results: Path) -> float:
    command = [*OMNICLOUD, "certify", "-c", str(config), "-n", str(workers)]
    command += [arg for p in providers for arg in ("--provider", p)]
    command += ["--results-dir", str(results)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        failures = [
            line for line in done.stdout.splitlines() if "FAILED" in line or "Error" in line
        ]
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n" + "\n".join(failures))
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("backends", nargs="*", default=list(BACKENDS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="omnicloud-bench-messaging-") as tmp:
        directory = Path(tmp)
        os.environ["OMNICLOUD_STATE_DIR"] = str(directory / "state")
        os.environ["OMNICLOUD_ENV"] = "local"
        config = reusing_config(directory)
        load = os.getloadavg()[0]
        for backend in args.backends:
            cold, warm = [], []
            for index in range(args.rounds):
                try:
                    cold.append(
                        certify(config, BACKENDS[backend], args.workers, directory / f"c{index}")
                    )
                    warm.append(
                        certify(config, BACKENDS[backend], args.workers, directory / f"w{index}")
                    )
                finally:
                    subprocess.run(
                        [*OMNICLOUD, "env", "down", "-c", str(config)],
                        check=False,
                        capture_output=True,
                    )
            c, w = statistics.median(cold), statistics.median(warm)
            print(f"{backend:<10} cold {c:7.1f} s   warm {w:7.1f} s   warm/cold {w / c:.2f}")
        print(f"load average at start: {load:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
