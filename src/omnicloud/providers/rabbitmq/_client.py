"""Lazy import of aio-pika with an error that names the extra to install."""

from __future__ import annotations

from types import ModuleType

from omnicloud.errors import ProviderError


def aio_pika() -> ModuleType:
    try:
        import aio_pika
    except ImportError:
        raise ProviderError(
            "the RabbitMQ providers need aio-pika, which is not installed",
            hint="pip install 'open-omni-cloud-tck[rabbitmq]'",
        ) from None
    return aio_pika
