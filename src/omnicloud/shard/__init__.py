"""Shards across machines: duration-balanced partition, durations store, shard selection."""

from omnicloud.shard.partition import Shard, estimate_durations, partition_by_duration, select_shard
from omnicloud.shard.spec import ShardSpec, parse_shard, resolve_shard, shard_from_environment

__all__ = [
    "Shard",
    "ShardSpec",
    "estimate_durations",
    "parse_shard",
    "partition_by_duration",
    "resolve_shard",
    "select_shard",
    "shard_from_environment",
]
