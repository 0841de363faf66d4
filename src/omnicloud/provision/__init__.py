"""Service provisioning: one module per provisioner behind ``base.Provisioner``.

Entry points: ``lifecycle.provision`` (context manager), ``lifecycle.teardown``,
``lifecycle.prune``; ``registry.get_provisioner`` picks a provisioner by name. Nothing is imported
here so that reading endpoints in a worker stays cheap.
"""
