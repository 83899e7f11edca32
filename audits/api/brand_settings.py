"""GET and PATCH /brands/{id}/settings/: a brand's review and integrity settings (head office)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from audits import selectors
from audits.api.base import ScopedView
from audits.api.fields import StrictCharField
from audits.api.permissions import IsHeadOffice
from audits.api.schema import error_response
from audits.models import BrandSettings, RiskLevel
from audits.services import brand_settings as settings_services

HELP = {
    "auto_release": "A scored submission whose risk is at or below this releases itself.",
    "review_sla_hours": "Unreviewed this long and at or below sla_release_max_risk: released.",
    "sla_release_max_risk": "The highest risk the review SLA releases (off: none).",
    "max_distance_m": "Geofence: metres from the branch, plus the reported GPS accuracy.",
    "min_visit_minutes": "Shorter visits are signalled.",
    "max_visit_minutes": "Longer visits are signalled.",
    "late_report_hours": "Reports received later than this after the visit are signalled.",
    "lockout_days": "The same shopper at the same branch sooner than this is signalled.",
    "return_hours": "Default time a shopper has to answer a returned report.",
    "claim_minutes": "A reviewer's claim lapses after this.",
    "media_deadline_hours": "Photos still missing after this: the submission is checked anyway.",
    "appeal_days": "Owners may appeal a released audit this long after its release (days).",
    "action_days": "An action a released audit opens is due this many days later.",
    "action_items": "Item keys that open an action when a released audit loses points on them "
    "(every failed critical item does).",
}


def _help(name: str) -> str:
    default = BrandSettings._meta.get_field(name).default
    return f"{HELP[name]} Default: {default}."


def _fields() -> dict[str, serializers.Field]:
    fields: dict[str, serializers.Field] = {
        name: serializers.ChoiceField(
            choices=RiskLevel.choices, required=False, help_text=_help(name)
        )
        for name in settings_services.LEVELS
    }
    for name, (low, high) in settings_services.BOUNDS.items():
        fields[name] = serializers.IntegerField(
            min_value=low, max_value=high, required=False, help_text=_help(name)
        )
    for name in settings_services.ITEM_LISTS:
        fields[name] = serializers.ListField(
            child=StrictCharField(max_length=100),
            max_length=settings_services.MAX_ITEM_LIST,
            required=False,
            help_text=f"{HELP[name]} Default: none.",
        )
    return fields


BrandSettingsSerializer = type(
    "BrandSettingsSerializer",
    (serializers.Serializer,),
    {
        **_fields(),
        "updated_at": serializers.DateTimeField(read_only=True),
        "updated_by": serializers.IntegerField(
            source="updated_by_id", read_only=True, allow_null=True, help_text="A user id."
        ),
        "__doc__": "A brand's review and integrity settings; defaults in docs/review.md.",
    },
)


class BrandSettingsView(ScopedView):
    """Head office of the brand reads and changes its settings; other brands are a 404."""

    permission_classes = [IsAuthenticated, IsHeadOffice]
    read_selector = selectors.brands_managed_by

    @extend_schema(
        responses={200: BrandSettingsSerializer, 404: error_response("Not your brand")},
        summary="A brand's review and integrity settings (head office)",
    )
    def get(self, request: Request, pk: int) -> Response:
        found = settings_services.brand_settings_for(self.scoped_object(pk))
        return Response(BrandSettingsSerializer(found).data)

    @extend_schema(
        request=BrandSettingsSerializer,
        responses={200: BrandSettingsSerializer, 404: error_response("Not your brand")},
        summary="Change some settings (head office); recorded with who and when",
    )
    def patch(self, request: Request, pk: int) -> Response:
        brand = self.scoped_object(pk)
        data = BrandSettingsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        sent = request.data if isinstance(request.data, dict) else {}
        unknown = {name: sent[name] for name in sent if name not in data.fields}
        changed = settings_services.brand_settings_update(  # which refuses the unknown ones
            brand=brand, by=request.user, changes={**data.validated_data, **unknown}
        )
        return Response(BrandSettingsSerializer(changed).data)
