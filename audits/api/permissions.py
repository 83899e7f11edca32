"""Who may act (403); who may see is the selectors' job (404). Each asks one Access predicate."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from audits.selectors import access_for


class IsHeadOffice(BasePermission):
    """Head office of a brand may write its network, checklists and visits.

    An account with no head-office membership (even an admin, who works through the Django
    admin) has no brand to write into.
    """

    message = "Only head office may do this."

    def has_permission(self, request, view) -> bool:
        return access_for(request.user).writes_network


class ReadOnlyOrHeadOffice(IsHeadOffice):
    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or super().has_permission(request, view)


class StaffReadsHeadOfficeWrites(IsHeadOffice):
    """Reads for head office, reviewers and admins (e.g. shopper accounts); writes as above.

    Owners and shoppers may not list such things at all, so they get 403 rather than an
    empty list.
    """

    message = "Only head office, reviewers and admins may read this."

    def has_permission(self, request, view) -> bool:
        if request.method not in SAFE_METHODS:
            return super().has_permission(request, view)
        return access_for(request.user).reads_whole_network


class IsShopper(BasePermission):
    message = "Only shoppers may do this."

    def has_permission(self, request, view) -> bool:
        return access_for(request.user).is_shopper


class ReadsBenchmarks(BasePermission):
    message = "League tables are for head office, reviewers and franchise owners."

    def has_permission(self, request, view) -> bool:
        return access_for(request.user).reads_benchmarks


class ReadsCalibration(BasePermission):
    message = "Shopper calibration is for head office and reviewers."

    def has_permission(self, request, view) -> bool:
        return access_for(request.user).reads_calibration


class ReviewsReports(BasePermission):
    message = "Review is for the brand's head office and reviewers."

    def has_permission(self, request, view) -> bool:
        return access_for(request.user).reviews_reports


class IsFranchiseOwner(BasePermission):
    """Franchise owners (appeals, actions on their branches); others are refused (403)."""

    message = "Only franchise owners may do this."

    def has_permission(self, request, view) -> bool:
        return bool(access_for(request.user).owned_franchisee_ids)
