"""Interface suites: the 45 thin backend interfaces of Prism's MEMO-006, one suite each.

The catalog (``tck_py.interfaces.catalog``) is data and imports no test code; each family module
(``keyvalue``, ``pubsub``, ...) holds the ``BaseTest...Interface`` suites of that family.
"""
