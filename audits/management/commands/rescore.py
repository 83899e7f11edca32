"""manage.py rescore: score scored submissions again, keeping the old score rows.

The work is done by `audits.services.rescoring`; this reads the selectors and prints counts.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audits.models import Brand, ChecklistVersion
from audits.models.trail import REASON_MAX_LENGTH
from audits.services.rescoring import rescorable_submissions, rescore_submissions
from audits.services.scoring import BACKLOG_BATCH_SIZE
from scoring.engine import ENGINE_VERSION


class Command(BaseCommand):
    help = (
        "Re-score scored submissions with the current engine: each gets a new current score "
        "row and its old rows are kept. Select with --submission, --brand and --checklist "
        "(combined: all must match) or --all. Queued submissions are left to the worker; "
        "released audits are frozen unless --released --reason is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--submission",
            type=int,
            action="append",
            dest="submissions",
            metavar="ID",
            help="a submission id (repeat for several)",
        )
        parser.add_argument("--brand", type=int, metavar="ID", help="submissions of this brand")
        parser.add_argument(
            "--checklist",
            type=int,
            metavar="VERSION_ID",
            help="submissions made on this checklist version",
        )
        parser.add_argument("--all", action="store_true", help="every scored submission")
        parser.add_argument(
            "--released",
            action="store_true",
            help="released audits too (frozen otherwise); needs --reason",
        )
        parser.add_argument(
            "--reason", default="", help="why released audits are re-scored (on their trail)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="score and count, but write nothing"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BACKLOG_BATCH_SIZE,
            help="submissions per transaction (default %(default)s)",
        )

    def handle(self, *args, **options) -> None:
        submission_ids = options["submissions"]
        brand_id = options["brand"]
        checklist_id = options["checklist"]
        selected = submission_ids is not None or brand_id is not None or checklist_id is not None
        if not selected and not options["all"]:
            raise CommandError(
                "Say what to re-score: --submission ID, --brand ID, --checklist VERSION_ID, "
                "or --all for every scored submission."
            )
        if selected and options["all"]:
            raise CommandError(
                "--all cannot be combined with --submission, --brand or --checklist."
            )
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if brand_id is not None and not Brand.objects.filter(pk=brand_id).exists():
            raise CommandError(f"No brand with id {brand_id}.")
        if (
            checklist_id is not None
            and not ChecklistVersion.objects.filter(pk=checklist_id).exists()
        ):
            raise CommandError(f"No checklist version with id {checklist_id}.")

        reason = options["reason"].strip()
        if options["released"] and not reason:
            raise CommandError(
                'Released audits are frozen: say why they are re-scored with --reason "...".'
            )
        if len(reason) > REASON_MAX_LENGTH:
            raise CommandError(f"--reason: at most {REASON_MAX_LENGTH} characters.")
        submissions = rescorable_submissions(
            submission_ids=submission_ids,
            brand_id=brand_id,
            checklist_id=checklist_id,
            include_released=options["released"],
        )
        summary = rescore_submissions(
            submissions,
            dry_run=options["dry_run"],
            batch_size=options["batch_size"],
            reason=reason,
        )
        verb = "would re-score" if summary.dry_run else "re-scored"
        self.stdout.write(
            f"{verb} {summary.rescored} submission(s) with engine {ENGINE_VERSION}; "
            f"{summary.changed} changed"
            + (" (dry run: nothing written)" if summary.dry_run else "")
        )
