"""``postgres``: initdb + postgres in the foreground, tuned for tests; one schema per worker."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from omnicloud.provision.kinds import Kind, Recipe
from omnicloud.provision.ready import NotReady, ReadyTarget

if TYPE_CHECKING:
    from omnicloud.provision.images import ImageSpec

_FLAGS = (
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "max_connections=200",
)


class PostgresPing:
    """PostgreSQL answers ``SELECT 1`` (needs the ``postgres`` extra: psycopg)."""

    def describe(self) -> str:
        return "postgres SELECT 1"

    def check(self, target: ReadyTarget) -> None:
        from omnicloud.providers.postgres._client import psycopg_module

        psycopg = psycopg_module()
        fields = target.fields
        try:
            with psycopg.connect(
                host=target.host,
                port=target.port,
                user=fields.get("user", "postgres"),
                password=fields.get("password"),
                dbname=fields.get("database", "postgres"),
                connect_timeout=2,
            ) as conn:
                conn.execute("SELECT 1").fetchone()
        except psycopg.Error as exc:
            raise NotReady(str(exc).strip()) from None


def worker_view(endpoint: dict[str, Any], worker: str, index: int) -> dict[str, Any]:
    """``schema`` ``"omnicloud_gw3"`` (providers create it) and ``url`` with its search_path."""
    schema = f"omnicloud_{worker}"
    url = str(endpoint.get("url", ""))
    if url:
        option = quote(f"-csearch_path={schema}", safe="")
        url = f"{url}{'&' if '?' in url else '?'}options={option}"
    return {**endpoint, "schema": schema, "url": url}


_ENTRYPOINT = r"""#!/bin/sh
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


def local_image() -> ImageSpec:
    """``omnicloud-local/postgres``: the server, initdb, their libraries and share files, and an
    entrypoint following the official image (``POSTGRES_USER``, ``POSTGRES_PASSWORD``...)."""
    from omnicloud.provision.images import ImageSpec, host_binary, local_tag, service_account

    bindir = Path(os.path.realpath(host_binary("postgres"))).parent
    root = bindir.parent
    share = Path(_sharedir(bindir))
    return ImageSpec(
        tag=local_tag("postgres"),
        binaries=(
            "/bin/sh",
            str(bindir / "postgres"),
            str(bindir / "initdb"),
            *sorted(glob.glob(str(root / "lib" / "*.so"))),
        ),
        trees=(str(share), "/usr/share/zoneinfo/UTC", "/usr/share/zoneinfo/Etc/UTC"),
        files={
            "/usr/local/bin/docker-entrypoint.sh": _ENTRYPOINT,
            **service_account("postgres", "/var/lib/postgresql"),
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


def _sharedir(bindir: Path) -> str:
    pg_config = shutil.which("pg_config") or str(bindir / "pg_config")
    if Path(pg_config).exists():
        done = subprocess.run(
            [pg_config, "--sharedir"], capture_output=True, text=True, check=False
        )
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    return str(bindir.parent.parent.parent.parent / "share" / "postgresql" / bindir.parent.name)


KIND = Kind(
    name="postgres",
    summary="PostgreSQL (initdb + postgres), fsync off",
    packages={"initdb": "postgresql", "postgres": "postgresql"},
    recipe=Recipe(
        name="postgres",
        image="postgres:16",
        port=5432,
        # The server runs in the foreground (what `pg_ctl start` would run) so its pid and log
        # stay ours; SIGINT is PostgreSQL's fast shutdown, what `pg_ctl stop -m fast` sends.
        init=(
            (
                "initdb",
                "-D",
                "{data_dir}/pgdata",
                "-U",
                "{user}",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ),
        ),
        command=(
            "postgres",
            "-D",
            "{data_dir}/pgdata",
            "-p",
            "{port}",
            "-h",
            "127.0.0.1",
            "-k",
            "{data_dir}",
            *_FLAGS,
        ),
        container_command=("postgres", *_FLAGS),
        env={
            "POSTGRES_USER": "{user}",
            "POSTGRES_PASSWORD": "{password}",
            "POSTGRES_DB": "{database}",
        },
        fields={
            "user": "postgres",
            "password": "omnicloud",
            "database": "postgres",
            "schema": "public",
        },
        url="postgresql://{user}:{password}@{host}:{port}/{database}",
        ready={"tcp": True, "ping": True},
        run_as="postgres",
        stop_signal="SIGINT",
    ),
    ping=PostgresPing(),
    view=worker_view,
    isolation="`schema` `omnicloud_gwN`, and `url` with `options=-csearch_path=omnicloud_gwN`",
    aliases=("postgresql",),
    local_image=local_image,
)
