"""Publish the next version of a checklist template from a JSON file.

    manage.py import_checklist audits/fixtures/default_checklist.json --brand "Kettle & Crumb"

The file has the shape of POST /api/v1/checklists/ and passes the same validation; every
problem is printed with its JSON path, the command exits non-zero and nothing is stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audits.errors import InvalidInput
from audits.models import Brand
from audits.services.checklists import checklist_publish


class Command(BaseCommand):
    help = "Publish the next version of a checklist template from a JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The checklist as JSON (the API's shape).")
        parser.add_argument(
            "--brand",
            help="Brand id or exact name; may be left out when there is only one brand.",
        )
        parser.add_argument(
            "--template",
            help="Template name; default: the file's 'template', else its 'title'.",
        )

    def handle(self, *args: Any, **options: Any) -> str:
        definition = _read(options["file"])
        brand = _brand(options["brand"])
        name = options["template"] or definition.pop("template", None) or definition.get("title")
        definition.pop("template", None)
        try:
            version = checklist_publish(
                brand=brand, template_name=str(name or ""), definition=definition
            )
        except InvalidInput as exc:
            lines = [f"  {p.attr or 'checklist'}: {p.message}" for p in exc.problems]
            raise CommandError(
                f"{options['file']} is not a valid checklist; nothing was published:\n"
                + "\n".join(lines)
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Published {version.template.name!r} version {version.version} "
                f"(id {version.pk}) for {brand.name}."
            )
        )
        return ""


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CommandError(f"{path}: checklist: expected a JSON object")
    return data


def _brand(value: str | None) -> Brand:
    if value is None:
        brands = list(Brand.objects.all()[:2])
        if len(brands) == 1:
            return brands[0]
        raise CommandError("Name the brand with --brand ID or --brand NAME.")
    brand = None
    if value.isdigit():
        brand = Brand.objects.filter(pk=int(value)).first()
    brand = brand or Brand.objects.filter(name=value).first()
    if brand is None:
        raise CommandError(f"No brand with id or name {value!r}.")
    return brand
