"""The browser fixtures live in tests/browser_support.py, a plugin shared by the whole suite:
Playwright's sync API allows one instance per thread, so its fixtures must be defined once."""

from tests.browser_support import AXE, LiveServer, run_axe

__all__ = ["AXE", "LiveServer", "run_axe"]
