"""Time GET /api/v1/benchmarks/ on a 5,000-branch brand, against GET /api/v1/me/ in the same run.

    .venv/bin/python bench/league_endpoint.py [--branches 5000] [--shoppers 1000]
        [--audits 250000] [--requests 200] [--seed 0]
        [--database-url postgres://postgres@127.0.0.1:5432/tp_bench_league] [--keep]

It creates the scratch PostgreSQL database named in --database-url (dropping it first if it
exists), migrates it, writes a brand with 20 regions, franchisees of 5 branches and a head-office
login, builds the pure snapshot of 2026-Q3 from simulated audits (no audit rows: the endpoint
only reads the snapshot) and stores it through the service, as the refresh task does. Then it
times, through Django's test Client with a real JWT and DEBUG off, --requests rounds of

- the first page of the branch league table (50 rows),
- a middle page,
- GET /api/v1/me/ (authentication, memberships and a small JSON answer: the floor any
  authenticated endpoint pays), interleaved so a noisy machine slows all three alike,

and prints median and p95 milliseconds and the ratio of each to /me/. For comparison it also
times reading the snapshot's whole stored JSON (what a table without served rows would parse
per request). The target is a median under 50 ms. The database is dropped at the end unless
--keep.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and bench/scoring.py would shadow the
# `scoring` package: put the repository root first instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.scratch import add_database_argument, percentile, scratch_database  # noqa: E402

TARGET_MS = 50.0
PERIOD = "2026-Q3"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=5000)
    parser.add_argument("--shoppers", type=int, default=1000)
    parser.add_argument("--audits", type=int, default=250_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    add_database_argument(parser, "tp_bench_league")
    parser.add_argument("--keep", action="store_true", help="Do not drop the database after.")
    return parser.parse_args()


def build_network(branches: int):
    """A brand, its regions, franchisees and branches (bulk), and a head-office user."""
    from audits.models import Branch, Brand, Franchisee, Membership, Region, Role, User

    brand = Brand.objects.create(name="Bench brand")
    regions = Region.objects.bulk_create(
        [Region(brand=brand, name=f"Region {i}") for i in range(20)]
    )
    franchisees = Franchisee.objects.bulk_create(
        [Franchisee(brand=brand, name=f"Franchisee {i}") for i in range((branches + 4) // 5)]
    )
    rows = Branch.objects.bulk_create(
        [
            Branch(
                brand=brand,
                franchisee=franchisees[j // 5],
                region=regions[j % 20],
                name=f"Branch {j}",
                latitude=51.5,
                longitude=-0.12,
                timezone="Europe/London",
            )
            for j in range(branches)
        ],
        batch_size=2000,
    )
    hq = User.objects.create_user("bench-hq", password="bench-password-1")
    Membership.objects.create(user=hq, role=Role.HEAD_OFFICE, brand=brand)
    return brand, rows, hq


def simulated_snapshot(branch_rows, shoppers: int, audits: int, seed: int):
    """The pure 2026-Q3 snapshot of simulated audits on these branches (ids = branch pks)."""
    from bench.benchmark_speed import simulated_records
    from scoring.benchmark import UnitInfo, build_snapshot

    ids = [str(b.pk) for b in branch_rows]
    records = simulated_records(ids, shoppers, audits, seed, shopper_id=lambda k: f"{100000 + k}")
    units = {
        str(b.pk): UnitInfo(
            branch_id=str(b.pk),
            name=b.name,
            franchisee_id=str(b.franchisee_id),
            region_id=str(b.region_id),
            franchisee_name=f"Franchisee of {b.franchisee_id}",
            region_name=f"Region {b.region_id}",
        )
        for b in branch_rows
    }
    return build_snapshot(records, units, period=PERIOD)


def main() -> None:
    args = parse_args()
    print("command:", shlex.join([".venv/bin/python", "bench/league_endpoint.py", *sys.argv[1:]]))
    with scratch_database(args.database_url, keep=args.keep):
        run(args)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from audits.models import BenchmarkSnapshot, PeriodKind
    from audits.services.benchmarks.building import store_snapshot

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    brand, branch_rows, hq = build_network(args.branches)
    print(f"database ready in {time.perf_counter() - started:.1f} s ({args.database_url})")

    started = time.perf_counter()
    snapshot = simulated_snapshot(branch_rows, args.shoppers, args.audits, args.seed)
    built = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic():
        stored = store_snapshot(brand, PeriodKind.QUARTER, PERIOD, "overall", snapshot)
    print(
        f"snapshot: {len(snapshot.rows['branch'])} branches, {args.audits} audits, "
        f"{args.shoppers} shoppers; built in {built:.1f} s, stored in "
        f"{time.perf_counter() - started:.1f} s"
    )

    client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(hq).access_token}")
    first = client.get("/api/v1/benchmarks/", {"period": PERIOD, "level": "branch"})
    assert first.status_code == 200, first.content[:500]
    count = first.json()["count"]
    pages = max(1, -(-count // len(first.json()["results"])))
    middle = pages // 2 + 1
    urls = {
        "league, first page": ("/api/v1/benchmarks/", {"period": PERIOD, "level": "branch"}),
        f"league, page {middle} of {pages}": (
            "/api/v1/benchmarks/",
            {"period": PERIOD, "level": "branch", "page": middle},
        ),
        "/me/": ("/api/v1/me/", {}),
    }
    for path, params in urls.values():  # warm up caches and connections
        for _ in range(5):
            assert client.get(path, params).status_code == 200
    times: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(args.requests):
        for name, (path, params) in urls.items():
            t0 = time.perf_counter()
            response = client.get(path, params)
            times[name].append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200

    whole = []
    for _ in range(min(20, args.requests)):
        t0 = time.perf_counter()
        data = BenchmarkSnapshot.objects.values_list("data", flat=True).get(pk=stored.pk)
        _ = data["rows"]["branch"][:50]
        whole.append((time.perf_counter() - t0) * 1000)

    me = statistics.median(times["/me/"])
    print(f"\n{args.requests} requests each, interleaved; milliseconds")
    print(f"{'':28} {'median':>8} {'p95':>8} {'x /me/':>8}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:28} {med:8.2f} {percentile(values, 0.95):8.2f} {med / me:8.2f}")
    print(
        f"{'(whole stored JSON read)':28} {statistics.median(whole):8.2f} "
        f"{percentile(whole, 0.95):8.2f} {statistics.median(whole) / me:8.2f}"
    )
    worst = max(statistics.median(v) for n, v in times.items() if n.startswith("league"))
    verdict = "PASS" if worst < TARGET_MS else "FAIL"
    print(f"\n{verdict}: slowest league median {worst:.2f} ms (target < {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
