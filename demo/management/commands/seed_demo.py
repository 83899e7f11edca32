"""manage.py seed_demo: a demo brand with its network, people and months of scored audits.

The work is done by the `demo` package; this only reads the options and prints the summary.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from demo.seed import (
    DEFAULT_PASSWORD,
    DEMO_BRAND,
    DEMO_LOGINS,
    DemoConflict,
    DemoExists,
    DemoOptions,
    demo_brand,
    existing_counts,
    reset_demo,
    seed_demo,
)


class Command(BaseCommand):
    help = (
        f"Create the demo brand '{DEMO_BRAND}': regions, franchisees, branches, the default "
        "checklist, one login per role (shopper, owner, hq, reviewer, admin; password "
        f"'{DEFAULT_PASSWORD}' or $DEMO_PASSWORD), open assignments and months of scored "
        "audits with photos. Does nothing if the brand exists, unless --reset. Sizes scale to "
        "load-test data (e.g. --branches 5000 --shoppers 1000 --months 12)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = DemoOptions()
        parser.add_argument(
            "--seed", type=int, default=defaults.seed, help="random seed (default %(default)s)"
        )
        parser.add_argument(
            "--branches", type=int, default=defaults.branches, help="default %(default)s"
        )
        parser.add_argument(
            "--shoppers",
            type=int,
            default=defaults.shoppers,
            help="shopper accounts, the `shopper` login included (default %(default)s)",
        )
        parser.add_argument(
            "--months", type=int, default=defaults.months, help="months of history (%(default)s)"
        )
        parser.add_argument(
            "--visits-per-month",
            type=float,
            default=defaults.visits_per_month,
            help="audits per branch and month, on average (default %(default)s)",
        )
        parser.add_argument(
            "--photos",
            type=int,
            default=defaults.photos,
            help="recent audits (last 14 days) that get a storefront and a receipt photo "
            "(default %(default)s; 0 for none)",
        )
        parser.add_argument(
            "--until",
            type=date.fromisoformat,
            help="end the history at 00:00 UTC of this date (YYYY-MM-DD), for data that is the "
            "same on any day; default: the current hour",
        )
        parser.add_argument(
            "--no-benchmarks",
            action="store_true",
            help="do not build the league tables afterwards (for large load-test brands, where "
            "that takes minutes; the nightly job or the next scoring builds them)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=f"first delete the demo brand '{DEMO_BRAND}' with all its data, its users and "
            "the demo logins",
        )

    def handle(self, *args, **options) -> None:
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        end = None
        if options["until"] is not None:
            end = datetime.combine(options["until"], time(0), tzinfo=UTC)
            if end > timezone.now():
                raise CommandError("--until cannot be in the future: audits are in the past.")
        try:
            demo_options = DemoOptions(
                seed=options["seed"],
                branches=options["branches"],
                shoppers=options["shoppers"],
                months=options["months"],
                visits_per_month=options["visits_per_month"],
                photos=options["photos"],
                password=password,
                end=end,
                benchmarks=not options["no_benchmarks"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        log = self.stdout.write if options["verbosity"] >= 1 else (lambda _: None)

        if options["reset"]:
            reset_demo(log=log)
        elif (brand := demo_brand()) is not None:
            counts = existing_counts(brand)
            self.stdout.write(
                f"The demo brand '{DEMO_BRAND}' already exists ({counts['branches']} "
                f"branches, {counts['submissions']} audits): nothing to do. "
                "Use --reset to start afresh."
            )
            self._logins(password, extra_shoppers=counts["shoppers"] - 1)
            return
        try:
            summary = seed_demo(demo_options, log=log)
        except DemoExists:  # created meanwhile by another process
            self.stdout.write(f"The demo brand '{DEMO_BRAND}' already exists: nothing to do.")
            return
        except DemoConflict as exc:
            raise CommandError(f"{exc}; run with --reset to replace them.") from exc

        counts = summary.counts
        self.stdout.write(self.style.SUCCESS(f"Demo brand '{DEMO_BRAND}' created:"))
        self.stdout.write(
            f"  {counts['regions']} regions, {counts['franchisees']} franchisees, "
            f"{counts['branches']} branches, {counts['shoppers']} shoppers\n"
            f"  {counts['assignments']} assignments ("
            + ", ".join(f"{n} {status}" for status, n in summary.assignments.items())
            + ")\n"
            f"  {counts['submissions']} scored audits, {counts['answers']} answers, "
            f"{counts['photos']} photos\n"
            f"  mean score {summary.mean_overall}, {summary.passed} passed, "
            f"{summary.critical_failures} with a critical failure\n"
            f"  seed {demo_options.seed}; took {summary.seconds.get('total')} s ("
            + ", ".join(f"{k} {v} s" for k, v in summary.seconds.items() if k != "total")
            + ")"
        )
        benchmarks = f"  benchmarks: {summary.benchmarks}"
        failed = summary.benchmarks.startswith("failed")
        self.stdout.write(self.style.WARNING(benchmarks) if failed else benchmarks)
        self._logins(password, extra_shoppers=counts["shoppers"] - 1)

    def _logins(self, password: str, *, extra_shoppers: int) -> None:
        source = "from DEMO_PASSWORD" if os.environ.get("DEMO_PASSWORD") else "the default"
        self.stdout.write(f"Logins (password '{password}', {source}):")
        for username, role in DEMO_LOGINS.items():
            self.stdout.write(f"  {username:<9} {role}")
        if extra_shoppers > 0:
            self.stdout.write(
                f"  and {extra_shoppers} more shoppers, shopper-0002 ... with the same password"
            )
