"""Test configuration shared by every test folder.

Helpers live in importable modules next to this file (``tests`` is on ``sys.path`` through the
``pythonpath`` pytest option): ``service_guard`` holds ``require`` and ``require_binary``.
"""

from hypothesis import settings

# No per-example deadline in this repository's own property tests: on a loaded 2-core CI runner
# a deadline is a timing assertion that fails for reasons outside the code under test.
settings.register_profile("omnicloud-tests", deadline=None)
settings.load_profile("omnicloud-tests")
