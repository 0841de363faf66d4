"""``rabbitmq``: a private RabbitMQ node (and its own epmd); one virtual host per worker.

Every path, port and name the node uses is private: data and logs under the service's data dir,
the AMQP port and the Erlang distribution port picked free, a node name made from the port, and
an Erlang port mapper (epmd) on a private port started in the server's own process group, so
that stopping the group stops it too. Every ``erl`` of the service runs with ``-start_epmd false``
(``ERL_FLAGS``): none spawns the daemonised epmd that would leave the group and outlive the run.

Virtual hosts ``omnicloud_gw0`` .. ``omnicloud_gw15`` exist from boot (a definitions file):
worker ``n`` uses ``omnicloud_gw{n % 16}`` and the name ``prefix`` ``gwN.``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from omnicloud.provision.kinds import Kind, Recipe
from omnicloud.provision.ready import NotReady, ReadyTarget

if TYPE_CHECKING:
    from omnicloud.provision.images import ImageSpec

VHOSTS = 16
SERVER_SCRIPT = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # Debian: /usr/sbin's wrapper su's
_AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
_CONNECTION_START = struct.pack(">HH", 10, 10)

# Starts epmd on the private port, waits until it answers, then becomes the node.
_LAUNCH = (
    'epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1 &\n'
    'until epmd -port "$ERL_EPMD_PORT" -names >/dev/null 2>&1; do\n'
    '  kill -0 $! 2>/dev/null || { echo "epmd could not start" >&2; exit 1; }\n'
    "  sleep 0.05\n"
    "done\n"
    'exec "$0"\n'
)


class AmqpPing:
    """The broker answers the AMQP 0-9-1 protocol header with ``connection.start``."""

    def describe(self) -> str:
        return "AMQP handshake"

    def check(self, target: ReadyTarget) -> None:
        with socket.create_connection((target.host, target.port), 1.0) as sock:
            sock.settimeout(2.0)
            sock.sendall(_AMQP_HEADER)
            frame = sock.recv(11)
            # type 1 (method), channel 0, a size, then class 10 method 10: connection.start
            if len(frame) < 11 or frame[0] != 1 or frame[7:11] != _CONNECTION_START:
                raise NotReady(f"unexpected answer {frame[:16]!r}")


def worker_view(endpoint: dict[str, Any], worker: str, index: int) -> dict[str, Any]:
    """``vhost`` ``omnicloud_gw{n % 16}`` (also in ``url``) and name ``prefix`` ``"gwN."``."""
    vhost = f"omnicloud_gw{index % VHOSTS}"
    parts = urlsplit(str(endpoint.get("url", "")))
    url = (
        urlunsplit(parts._replace(path=f"/{quote(vhost, safe='')}"))
        if parts.scheme
        else endpoint.get("url")
    )
    return {
        **endpoint,
        "vhost": vhost,
        "url": url,
        "prefix": f"{endpoint.get('prefix', '')}{worker}.",
    }


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def config_files(values: Mapping[str, Any]) -> dict[str, str]:
    """``rabbitmq.conf``, the definitions (user, virtual hosts) and an empty plugin list."""
    user, data_dir = str(values["user"]), str(values["data_dir"])
    vhosts = ["/", *(f"omnicloud_gw{i}" for i in range(VHOSTS))]
    definitions = {
        "users": [
            {
                "name": user,
                "password_hash": password_hash(str(values["password"])),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": ["administrator"],
            }
        ],
        "vhosts": [{"name": v} for v in vhosts],
        "permissions": [
            {"user": user, "vhost": v, "configure": ".*", "write": ".*", "read": ".*"}
            for v in vhosts
        ],
    }
    conf = (
        f"listeners.tcp.1 = 127.0.0.1:{values['port']}\n"
        f"load_definitions = {data_dir}/definitions.json\n"
        "loopback_users = none\n"
        # A test broker on a busy machine: never block publishers on disk or memory alarms.
        "disk_free_limit.absolute = 1\n"
        "vm_memory_high_watermark.relative = 0.9\n"
    )
    return {
        "rabbitmq.conf": conf,
        "definitions.json": json.dumps(definitions),
        "enabled_plugins": "[].\n",
    }


# The local image's entrypoint: the same definitions as the process recipe (user, a virtual host
# per worker), written from the official image's RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS.
_ENTRYPOINT = r"""#!/bin/sh
set -e
base=/tmp/rabbitmq
mkdir -p "$base"
user="${RABBITMQ_DEFAULT_USER:-guest}"
pass="${RABBITMQ_DEFAULT_PASS:-guest}"
grant() {
    printf '{"user":"%s","vhost":"%s","configure":".*","write":".*","read":".*"}' "$user" "$1"
}
vhosts='{"name":"/"}'
perms=$(grant /)
i=0
while [ "$i" -lt __VHOSTS__ ]; do
    vhosts="$vhosts,{\"name\":\"omnicloud_gw$i\"}"
    perms="$perms,$(grant "omnicloud_gw$i")"
    i=$((i + 1))
done
users=$(printf '{"name":"%s","password":"%s","tags":["administrator"]}' "$user" "$pass")
printf '{"users":[%s],"vhosts":[%s],"permissions":[%s]}\n' "$users" "$vhosts" "$perms" \
    > "$base/definitions.json"
{
    echo "loopback_users = none"
    echo "load_definitions = $base/definitions.json"
    echo "disk_free_limit.absolute = 1"
} > "$base/rabbitmq.conf"
echo "[]." > "$base/enabled_plugins"
export HOME="$base" RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_LOGS=- \
    RABBITMQ_MNESIA_BASE="$base/mnesia" RABBITMQ_LOG_BASE="$base/log" \
    RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins"
# The script itself, not bin/'s symlink (copied as a file): it finds its home from its path.
exec /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin/rabbitmq-server "$@"
""".replace("__VHOSTS__", str(VHOSTS))


def local_image() -> ImageSpec:
    """``omnicloud-local/rabbitmq``: the Erlang runtime and RabbitMQ trees, the few shell tools
    their scripts call, and an entrypoint creating the user and the per-worker virtual hosts."""
    from omnicloud.provision.images import ImageSpec, host_binary, local_tag, service_account

    tools = ("dirname", "basename", "readlink", "expr", "mkdir", "sleep", "df")
    return ImageSpec(
        tag=local_tag("rabbitmq"),
        binaries=("/bin/sh", *(host_binary(tool) for tool in tools)),
        trees=("/usr/lib/erlang", "/usr/lib/rabbitmq"),
        files={
            "/usr/local/bin/docker-entrypoint.sh": _ENTRYPOINT,
            **service_account("rabbitmq", "/tmp/rabbitmq"),
        },
        dirs={"/tmp": 0o1777},
        changes=(
            "ENV PATH=/usr/local/bin:/usr/lib/rabbitmq/bin:/usr/lib/erlang/bin:/usr/bin:/bin",
            "USER rabbitmq",
            "EXPOSE 5672",
            'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
        ),
    )


KIND = Kind(
    name="rabbitmq",
    summary="RabbitMQ (AMQP 0-9-1) with a private epmd",
    packages={"epmd": "erlang-base", SERVER_SCRIPT: "rabbitmq-server"},
    recipe=Recipe(
        name="rabbitmq",
        image="rabbitmq:3.13",
        port=5672,
        command=("sh", "-c", _LAUNCH, SERVER_SCRIPT),
        env={
            "RABBITMQ_DEFAULT_USER": "{user}",
            "RABBITMQ_DEFAULT_PASS": "{password}",
        },
        local_env={
            "HOME": "{data_dir}",  # the Erlang cookie
            "ERL_EPMD_PORT": "{ports.epmd}",
            "RABBITMQ_NODENAME": "omnicloud{port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": "{port}",
            "RABBITMQ_DIST_PORT": "{ports.dist}",
            "RABBITMQ_MNESIA_BASE": "{data_dir}/mnesia",
            "RABBITMQ_LOG_BASE": "{data_dir}/log",
            "RABBITMQ_LOGS": "-",
            "RABBITMQ_PID_FILE": "{data_dir}/rabbitmq.pid",
            "RABBITMQ_CONFIG_FILE": "{data_dir}/rabbitmq.conf",
            "RABBITMQ_ADVANCED_CONFIG_FILE": "{data_dir}/advanced.config",
            "RABBITMQ_CONF_ENV_FILE": "{data_dir}/rabbitmq-env.conf",
            "RABBITMQ_ENABLED_PLUGINS_FILE": "{data_dir}/enabled_plugins",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-start_epmd false",
            # Every erl of the boot, not only the server's: one that finds the private epmd gone
            # (a Ctrl-C while booting) would otherwise start `epmd -daemon`, which leaves the
            # process group and outlives the run.
            "ERL_FLAGS": "-start_epmd false",
        },
        fields={"user": "omnicloud", "password": "omnicloud-rabbitmq", "vhost": "/", "prefix": ""},
        url="amqp://{user}:{password}@{host}:{port}/%2F",
        ready={"tcp": True, "ping": True, "timeout": 60.0},
        local_ports=("epmd", "dist"),
        files=config_files,
    ),
    ping=AmqpPing(),
    view=worker_view,
    isolation="`vhost` `omnicloud_gw{n % 16}` (also in `url`), name `prefix` `gwN.`",
    aliases=("amqp",),
    local_image=local_image,
)
