"""Token endpoints: simplejwt's views, documented with the bodies and errors they really give."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from audits.api.schema import error_response


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Send as `Authorization: Bearer <access>`.")
    refresh = serializers.CharField(help_text="Trade for a new access token when it expires.")


class AccessTokenSerializer(serializers.Serializer):
    access = serializers.CharField()


@extend_schema_view(
    post=extend_schema(
        summary="Sign in: a username and password give an access and a refresh token",
        request=TokenObtainPairSerializer,
        responses={
            200: TokenPairSerializer,
            401: error_response("Wrong username or password (code `no_active_account`)"),
        },
    )
)
class TokenObtainView(TokenObtainPairView):
    pass


@extend_schema_view(
    post=extend_schema(
        summary="A new access token from a refresh token",
        request=TokenRefreshSerializer,
        responses={
            200: AccessTokenSerializer,
            401: error_response("An expired or invalid refresh token (code `token_not_valid`)"),
        },
    )
)
class TokenRenewView(TokenRefreshView):
    pass
