"""Container images built locally from host binaries, for machines that cannot pull images.

``docker import`` of a root filesystem assembled from a server binary, every shared library
``ldd`` says it needs, its data files, a minimal ``/etc/passwd`` and (for PostgreSQL) an
entrypoint that follows the official image's conventions (``POSTGRES_USER``,
``POSTGRES_PASSWORD``, ``POSTGRES_DB``, ``PGDATA``; the command is ``postgres [flags]``).

    python -m omnicloud.provision.images          # builds omnicloud-local/redis, .../postgres

Each image carries a label with the hash of its inputs; an image whose inputs did not change is
not rebuilt.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnicloud.errors import InfrastructureError
from omnicloud.provision.docker import docker_client
from omnicloud.provision.process import find_binary

INPUTS_LABEL = "omnicloud.image-inputs"
REDIS_TAG = "omnicloud-local/redis:latest"
POSTGRES_TAG = "omnicloud-local/postgres:latest"
SERVICE_UID = 999

_PG_ENTRYPOINT = r"""#!/bin/sh
# Mirrors the official postgres image: initialise PGDATA on first start, then run the command.
set -e
if [ "$1" = "postgres" ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    echo "${POSTGRES_PASSWORD:-postgres}" > /tmp/.pwfile
    initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --pwfile=/tmp/.pwfile \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync \
        --no-instructions
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    db="${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"
    if [ "$db" != "postgres" ]; then
        echo "CREATE DATABASE \"$db\";" | postgres --single -D "$PGDATA" postgres > /dev/null
    fi
fi
if [ "$1" = "postgres" ]; then
    exec "$@" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
fi
exec "$@"
"""


@dataclass(frozen=True)
class ImageSpec:
    """What goes into a locally built image."""

    tag: str
    binaries: tuple[str, ...]
    trees: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)  # path in image -> text
    dirs: dict[str, int] = field(default_factory=dict)  # path in image -> mode (owned by service)
    changes: tuple[str, ...] = ()
    exclude: str = r"$^"


def redis_image(tag: str = REDIS_TAG) -> ImageSpec:
    return ImageSpec(
        tag=tag,
        binaries=(_which("redis-server"),),
        files={
            "/etc/passwd": f"root:x:0:0::/:/bin/sh\nredis:x:{SERVICE_UID}:{SERVICE_UID}::/data:"
            "/bin/sh\n",
            "/etc/group": f"root:x:0:\nredis:x:{SERVICE_UID}:\n",
        },
        dirs={"/data": 0o755, "/tmp": 0o1777},
        changes=(
            "ENV PATH=/usr/local/bin:/usr/bin:/bin",
            "WORKDIR /data",
            "USER redis",
            "EXPOSE 6379",
            'CMD ["redis-server", "--protected-mode", "no"]',
        ),
    )


def postgres_image(tag: str = POSTGRES_TAG) -> ImageSpec:
    bindir = Path(os.path.realpath(_which("postgres"))).parent
    root = bindir.parent
    share = Path(_pg_sharedir(bindir))
    return ImageSpec(
        tag=tag,
        binaries=(
            "/bin/sh",
            str(bindir / "postgres"),
            str(bindir / "initdb"),
            *sorted(glob.glob(str(root / "lib" / "*.so"))),
        ),
        trees=(str(share), "/usr/share/zoneinfo/UTC", "/usr/share/zoneinfo/Etc/UTC"),
        files={
            "/usr/local/bin/docker-entrypoint.sh": _PG_ENTRYPOINT,
            "/etc/passwd": f"root:x:0:0::/:/bin/sh\npostgres:x:{SERVICE_UID}:{SERVICE_UID}::"
            "/var/lib/postgresql:/bin/sh\n",
            "/etc/group": f"root:x:0:\npostgres:x:{SERVICE_UID}:\n",
        },
        dirs={"/var/lib/postgresql": 0o700, "/tmp": 0o1777},
        changes=(
            f"ENV PATH=/usr/local/bin:{bindir}:/usr/bin:/bin",
            "ENV PGDATA=/var/lib/postgresql/data",
            "ENV TZ=UTC",
            "USER postgres",
            "EXPOSE 5432",
            'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
            'CMD ["postgres"]',
        ),
        exclude=r"llvmjit",
    )


def _which(name: str) -> str:
    path = find_binary(name)
    if path is None:
        raise InfrastructureError(
            f"cannot build a local image: '{name}' is not installed",
            hint=f"apt-get install the package providing {name}",
        )
    return path


def _pg_sharedir(bindir: Path) -> str:
    pg_config = shutil.which("pg_config") or str(bindir / "pg_config")
    if Path(pg_config).exists():
        done = subprocess.run(
            [pg_config, "--sharedir"], capture_output=True, text=True, check=False
        )
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    return str(bindir.parent.parent.parent.parent / "share" / "postgresql" / bindir.parent.name)


_LDD_PATH = re.compile(r"(/\S+)")


def shared_libraries(binary: str) -> list[str]:
    """The shared libraries (and the dynamic loader) ``binary`` needs, from ``ldd``."""
    done = subprocess.run(["ldd", binary], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return []  # a static binary or a script
    return sorted(
        {
            m.group(1)
            for line in done.stdout.splitlines()
            if (m := _LDD_PATH.search(line.split("=>")[-1]))
        }
    )


def rootfs_files(spec: ImageSpec) -> list[str]:
    """Every host file the image needs: binaries, their libraries, data trees."""
    wanted: set[str] = set()
    exclude = re.compile(spec.exclude)
    for binary in spec.binaries:
        if exclude.search(binary):
            continue
        wanted.add(binary)
        wanted.update(shared_libraries(binary))
    for tree in spec.trees:
        path = Path(tree)
        if path.is_dir():
            wanted.update(str(p) for p in path.rglob("*") if p.is_file())
        elif path.exists():
            wanted.add(str(path))
    return sorted(wanted)


def inputs_hash(spec: ImageSpec, files: Iterable[str]) -> str:
    digest = hashlib.sha256(
        repr((spec.changes, sorted(spec.files.items()), sorted(spec.dirs.items()))).encode()
    )
    for path in files:
        stat = os.stat(path)
        digest.update(f"{path}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def write_rootfs_tar(spec: ImageSpec, files: list[str], target: Path) -> None:
    """A tar of the root filesystem: host files at their real paths, plus the spec's extras."""
    with tarfile.open(target, "w") as tar:
        added: set[str] = set()
        for path in files:
            _add_with_links(tar, path, added)
        for name, mode in spec.dirs.items():
            info = tarfile.TarInfo(name.lstrip("/"))
            info.type, info.mode = tarfile.DIRTYPE, mode
            info.uid = info.gid = SERVICE_UID if name != "/tmp" else 0
            tar.addfile(info)
        for name, text in spec.files.items():
            data = text.encode()
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))


def _add_with_links(tar: tarfile.TarFile, path: str, added: set[str]) -> None:
    """Add ``path`` as a regular file at its own name and, if a symlink, at its target's name."""
    real = os.path.realpath(path)
    for name in sorted({path, real}):
        arcname = name.lstrip("/")
        if arcname not in added:
            added.add(arcname)
            tar.add(real, arcname=arcname, recursive=False)


def build_image(spec: ImageSpec, client: Any | None = None, *, force: bool = False) -> str:
    """Build (or keep, when its inputs did not change) the image; return its tag."""
    client = client or docker_client()
    files = rootfs_files(spec)
    inputs = inputs_hash(spec, files)
    if not force and _current_inputs(client, spec.tag) == inputs:
        return spec.tag
    repository, _, tag = spec.tag.rpartition(":")
    with tempfile.TemporaryDirectory(prefix="omnicloud-image-") as tmp:
        tar_path = Path(tmp) / "rootfs.tar"
        write_rootfs_tar(spec, files, tar_path)
        changes = [*spec.changes, f"LABEL {INPUTS_LABEL}={inputs}"]
        client.api.import_image_from_file(
            str(tar_path), repository=repository, tag=tag, changes=changes
        )
    return spec.tag


def _current_inputs(client: Any, tag: str) -> str | None:
    import docker.errors

    try:
        labels = client.images.get(tag).labels or {}
    except docker.errors.ImageNotFound:
        return None
    value = labels.get(INPUTS_LABEL)
    return str(value) if value else None


BUILTIN = {"redis": redis_image, "postgres": postgres_image}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m omnicloud.provision.images",
        description="Build container images for redis/postgres from host binaries.",
    )
    parser.add_argument(
        "images", nargs="*", metavar="IMAGE", help="redis, postgres (default: both)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when unchanged")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.images) - set(BUILTIN))
    if unknown:
        parser.error(f"unknown image(s) {', '.join(unknown)}; choose from {', '.join(BUILTIN)}")
    try:
        for name in args.images or sorted(BUILTIN):
            print(f"{name}: {build_image(BUILTIN[name](), force=args.force)}")
    except InfrastructureError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
