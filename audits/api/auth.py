"""Token endpoints: simplejwt's views, documented with the errors they really answer."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from audits.api.schema import error_response


@extend_schema_view(
    post=extend_schema(
        summary="Sign in: a username and password give an access and a refresh token",
        responses={
            200: TokenObtainPairView.serializer_class,
            401: error_response("Wrong username or password (code `no_active_account`)"),
        },
    )
)
class TokenObtainView(TokenObtainPairView):
    pass


@extend_schema_view(
    post=extend_schema(
        summary="A new access token from a refresh token",
        responses={
            200: TokenRefreshView.serializer_class,
            401: error_response("An expired or invalid refresh token (code `token_not_valid`)"),
        },
    )
)
class TokenRenewView(TokenRefreshView):
    pass
