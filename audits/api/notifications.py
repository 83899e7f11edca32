"""`/notifications/`: each user reads their own, newest first, and marks them read."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from audits import selectors
from audits.api.base import ScopedViewSet
from audits.api.fields import StrictCharField
from audits.api.filtering import StrictBooleanFilter, StrictFilterSet
from audits.models import EmailStatus, Notification, NotificationKind
from audits.services import notifications as notification_services


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    subject = StrictCharField()
    body = StrictCharField()
    audit = serializers.IntegerField(source="submission_id", allow_null=True)
    appeal = serializers.IntegerField(source="appeal_id", allow_null=True)
    action = serializers.IntegerField(source="action_id", allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    email_status = serializers.ChoiceField(choices=EmailStatus.choices)


class NotificationFilter(StrictFilterSet):
    """`?unread=true` (or false)."""

    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["unread"]


@extend_schema_view(
    list=extend_schema(summary="Your notifications, newest first (`?unread=true`)"),
)
class NotificationViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    permission_classes = [IsAuthenticated]
    read_selector = selectors.notifications_of
    write_selectors = {"read": selectors.notifications_of}

    @extend_schema(request=None, responses={200: NotificationSerializer}, summary="Mark read")
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        done = notification_services.notification_read(notification=self.get_object())
        return Response(NotificationSerializer(done).data)
