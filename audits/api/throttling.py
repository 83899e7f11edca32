"""Per-user request rates and sign-in rates, on Django's cache (shared Redis in production).

Rates are settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read from the environment);
a 429 carries `Retry-After` and the shared error shape (code `throttled`)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle as _DRFSimpleRateThrottle

from audits.services.sign_in import username_digest


class SimpleRateThrottle(_DRFSimpleRateThrottle):
    """Reads the rate from settings at each request (DRF reads it once, at import), so a
    test's `settings` override and the environment are what count."""

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)


class AccountLocked(Throttled):
    """Too many failed sign-ins for one account within the lockout window."""

    default_detail = "Too many failed sign-ins: this account is locked for a while."
    default_code = "account_locked"


class UserScopeThrottle(SimpleRateThrottle):
    """One rate (`scope`) per signed-in user (per address for anonymous callers)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def get_cache_key(self, request, view) -> str:
        user = request.user
        ident = user.pk if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SignInAddressThrottle(SimpleRateThrottle):
    """Sign-in attempts per client address (X-Forwarded-For only as NUM_PROXIES allows)."""

    scope = "sign_in_address"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def requested_username(request) -> str:
    """The username a sign-in body names, or "" when it names none (or not as text)."""
    username = request.data.get("username") if hasattr(request.data, "get") else None
    return username if isinstance(username, str) else ""


class SignInUsernameThrottle(SimpleRateThrottle):
    """Sign-in attempts per username, whatever address they come from."""

    scope = "sign_in_username"

    def get_cache_key(self, request, view) -> str | None:
        username = requested_username(request)
        if not username:
            return None
        return self.cache_format % {"scope": self.scope, "ident": username_digest(username)}
