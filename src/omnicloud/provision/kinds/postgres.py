"""``postgres``: initdb + postgres in the foreground, tuned for tests; one schema per worker."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from omnicloud.provision.kinds import Kind, Recipe
from omnicloud.provision.ready import NotReady, ReadyTarget

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
)
