"""The noxfile that ships with omnicloud: ``omnicloud nox ...`` runs nox with it against the
configuration of the current directory (``$OMNICLOUD_CONFIG`` or ``omnicloud.toml``)."""

import os

from omnicloud.nox_sessions import register

register(os.environ.get("OMNICLOUD_CONFIG"))
