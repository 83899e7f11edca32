"""Pure-Python scoring and benchmarking for Touchpoint audits.

Nothing in this package imports Django, so the rules can be tested, benchmarked and reused
on their own. The Django app maps its rows to the dataclasses in `scoring.types`.
"""
