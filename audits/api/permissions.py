"""Who may act (403); who may see is the selectors' job (404)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from audits.selectors import access_for


class IsHeadOffice(BasePermission):
    """Head office of a brand may write its network, checklists and visits.

    The brand is implied by the caller, so an account with no head-office membership (even
    an admin, who works through the Django admin) has no brand to write into.
    """

    message = "Only head office may do this."

    def has_permission(self, request, view) -> bool:
        return bool(access_for(request.user).head_office_brand_ids)


class ReadOnlyOrHeadOffice(IsHeadOffice):
    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or super().has_permission(request, view)


class IsShopper(BasePermission):
    message = "Only shoppers may do this."

    def has_permission(self, request, view) -> bool:
        return access_for(request.user).is_shopper
