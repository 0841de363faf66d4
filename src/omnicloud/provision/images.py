"""Container images built locally from host binaries, for machines that cannot pull images.

``docker import`` of a root filesystem assembled from a server binary, every shared library
``ldd`` says it needs (also those of the shared objects and executables in its data trees), its
data files and a minimal ``/etc/passwd``. Each service kind may describe its image
(``Kind.local_image`` in ``provision/kinds/<kind>.py``); the PostgreSQL one carries an entrypoint
that follows the official image's conventions.

    python -m omnicloud.provision.images          # builds omnicloud-local/<kind> for each kind

Each image carries a label with the hash of its inputs; an image whose inputs did not change is
not rebuilt.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnicloud.errors import InfrastructureError
from omnicloud.provision.docker import docker_client
from omnicloud.provision.kinds import all_kinds, get_kind
from omnicloud.provision.process import find_binary

INPUTS_LABEL = "omnicloud.image-inputs"
SERVICE_UID = 999


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


def local_tag(kind: str) -> str:
    """The tag of the image built for ``kind``: ``omnicloud-local/<kind>:latest``."""
    return f"omnicloud-local/{kind}:latest"


def service_account(user: str, home: str) -> dict[str, str]:
    """``/etc/passwd`` and ``/etc/group`` with root and the service's unprivileged user."""
    return {
        "/etc/passwd": (
            f"root:x:0:0::/:/bin/sh\n{user}:x:{SERVICE_UID}:{SERVICE_UID}::{home}:/bin/sh\n"
        ),
        "/etc/group": f"root:x:0:\n{user}:x:{SERVICE_UID}:\n",
    }


def host_binary(name: str) -> str:
    """The path of ``name`` on this machine, or an error naming it."""
    return _which(name)


def _which(name: str) -> str:
    path = find_binary(name)
    if path is None:
        raise InfrastructureError(
            f"cannot build a local image: '{name}' is not installed",
            hint=f"apt-get install the package providing {name}",
        )
    return path


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
            found = [p for p in path.rglob("*") if p.is_file()]
            wanted.update(str(p) for p in found)
            # Native code inside a tree (Erlang's emulator, its NIFs) needs its libraries too.
            for native in (p for p in found if _is_elf(p) and not exclude.search(str(p))):
                wanted.update(shared_libraries(str(native)))
        elif path.exists():
            wanted.add(str(path))
    return sorted(wanted)


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


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


def builtin() -> dict[str, Callable[[], ImageSpec]]:
    """The kinds that describe a local image, by name."""
    return {kind.name: kind.local_image for kind in all_kinds() if kind.local_image is not None}


def redis_image() -> ImageSpec:
    return _kind_image("redis")


def postgres_image() -> ImageSpec:
    return _kind_image("postgres")


def _kind_image(name: str) -> ImageSpec:
    kind = get_kind(name)
    image = kind.local_image if kind is not None else None
    assert image is not None, f"kind {name} describes no local image"
    return image()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m omnicloud.provision.images",
        description="Build container images for service kinds from host binaries.",
    )
    known = builtin()
    parser.add_argument(
        "images", nargs="*", metavar="IMAGE", help=f"{', '.join(known)} (default: all)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when unchanged")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.images) - set(known))
    if unknown:
        parser.error(f"unknown image(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    try:
        client = docker_client()  # the engine first: without one, no binary matters
        for name in args.images or sorted(known):
            print(f"{name}: {build_image(known[name](), client, force=args.force)}")
    except InfrastructureError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
