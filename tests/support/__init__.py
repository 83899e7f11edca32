"""Shared test support, not tests: factories, API helpers and data builders.

Imported as `support.<module>`; pytest puts tests/ on sys.path (`pythonpath` in pyproject.toml).
"""
