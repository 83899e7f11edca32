"""Token endpoints: simplejwt's views, documented with the bodies and errors they really give."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from audits.api.schema import error_response
from audits.api.throttling import (
    AccountLocked,
    SignInAddressThrottle,
    SignInUsernameThrottle,
    requested_username,
)
from audits.services import sign_in


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
            429: error_response(
                "Too many sign-ins for this username or from this address (code `throttled`), "
                "or the account is locked after too many failures (code `account_locked`); "
                "`Retry-After` says how many seconds to wait"
            ),
        },
    )
)
class TokenObtainView(TokenObtainPairView):
    """Sign-in, rated per username and per address; failures counted toward a lockout."""

    throttle_classes = [SignInUsernameThrottle, SignInAddressThrottle]

    def post(self, request, *args, **kwargs):
        username = requested_username(request)
        wait = sign_in.locked_for(username) if username else 0
        if wait:
            raise AccountLocked(wait=wait)
        try:
            response = super().post(request, *args, **kwargs)
        except AuthenticationFailed:  # a wrong password, not a malformed body
            if username:
                sign_in.record_failure(username)
            raise
        if username and response.status_code == 200:
            sign_in.record_success(username)
        return response


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
