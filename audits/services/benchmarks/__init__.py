"""Benchmark snapshots: from counted audits to stored league tables, and reads of them.

The statistics live in the pure package `scoring.benchmark` (docs/benchmarking.md); this
package maps rows to its `AuditRecord`/`UnitInfo`, decides which periods to rebuild, stores
each `Snapshot.to_dict()` whole plus its rows in served shape, and answers the small reads the
API and the scorecard need. Reads never fit a model. One job per module:

- `scheduling`: the debounced refresh after scoring (on commit, a task or the embedded thread);
- `collecting`: branches as `UnitInfo` and counted audits as `AuditRecord` (the one mapping);
- `periods`: which periods a refresh rebuilds, the dates each one ranks, period keys;
- `building`: building every snapshot of a period and storing it with its rows;
- `served`: the served shape of a league-table row and of a level's peers;
- `reads`: the reads of stored snapshots for the scorecard, comparison and calibration.

Import from the module itself; this package re-exports nothing.
"""
