"""Publishing checklist versions: validated once, numbered, never edited afterwards."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import Max

from audits.errors import InvalidInput
from audits.models import Brand, ChecklistTemplate, ChecklistVersion, User
from scoring.checklist import ChecklistError, checklist_to_dict, parse_checklist


@transaction.atomic
def checklist_publish(
    *, brand: Brand, template_name: str, definition: Mapping[str, Any], user: User | None = None
) -> ChecklistVersion:
    """Publish the next version of `template_name` (created on first publish).

    The definition is validated by the pure scoring package and stored normalised, so every
    reader (phones, the scoring worker) sees exactly the shape that was checked.
    """
    errors: dict[str, list[str]] = {}
    if not template_name or not str(template_name).strip():
        errors["template"] = ["A template name is required."]
    elif len(template_name.strip()) > _max_length(ChecklistTemplate, "name"):
        errors["template"] = [f"At most {_max_length(ChecklistTemplate, 'name')} characters."]
    try:
        checklist = parse_checklist(definition)
    except ChecklistError as exc:
        errors.update(exc.errors)
    else:
        if len(checklist.title) > _max_length(ChecklistVersion, "title"):
            errors["title"] = [f"At most {_max_length(ChecklistVersion, 'title')} characters."]
    if errors:
        raise InvalidInput(errors)
    template, _ = ChecklistTemplate.objects.get_or_create(brand=brand, name=template_name.strip())
    # Lock the template row so two publishers cannot take the same version number.
    ChecklistTemplate.objects.select_for_update().filter(pk=template.pk).get()
    latest = template.versions.aggregate(latest=Max("version"))["latest"] or 0
    return ChecklistVersion.objects.create(
        template=template,
        version=latest + 1,
        title=checklist.title,
        pass_mark=_to_decimal(checklist.pass_mark),
        critical_policy=checklist.critical_policy,
        definition=checklist_to_dict(checklist),
        published_by=user,
    )


def _max_length(model: type, field: str) -> int:
    return model._meta.get_field(field).max_length


def _to_decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))


def checklist_as_api(version: ChecklistVersion) -> dict[str, Any]:
    """The version in the API's shape: its definition plus id, template and version."""
    return {
        "id": version.pk,
        "template": version.template.name,
        "version": version.version,
        **version.definition,
    }
