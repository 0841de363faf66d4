"""Test configuration shared by every test folder.

Helpers live in importable modules next to this file (``tests`` is on ``sys.path`` through the
``pythonpath`` pytest option): ``service_guard`` holds ``require`` and ``require_binary``.
"""
