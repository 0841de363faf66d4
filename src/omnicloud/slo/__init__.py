"""Performance certification against SLO profiles (RFC-015 phase 2).

``profiles`` resolves what each provider and interface must meet; ``workloads`` draws operations
from an interface's own methods; ``measure`` runs open-loop (fixed arrival rate, latency from the
intended start) and closed-loop (maximum throughput) trials into HDR histograms; ``verdict``
turns repeated trials into pass / fail / inconclusive with bootstrap intervals; ``baseline``
compares against a stored run of the same machine class; ``runner`` ties them to a config.
"""
