"""Scoped reads: every queryset a caller may see is built here, and only here.

Views never filter by role themselves; they ask for `<thing>_visible_to(user)`, so a new
endpoint cannot forget a permission. An object outside the scope is a 404 to the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, wraps

from django.db.models import Model, Prefetch, Q, QuerySet, Subquery

from .errors import Forbidden, InvalidInput
from .models import (
    RELEASED_STATUSES,
    REVIEW_QUEUE_STATUSES,
    SCORED_STATUSES,
    Action,
    Appeal,
    Assignment,
    BenchmarkRow,
    BenchmarkSnapshot,
    Branch,
    Brand,
    ChecklistVersion,
    Event,
    EventKind,
    EvidencePhoto,
    Franchisee,
    Membership,
    Notification,
    Photo,
    Region,
    Role,
    Score,
    Submission,
    User,
    risk_rank,
)


@dataclass(frozen=True)
class Access:
    """What one user's memberships let them reach, computed once per request."""

    user: User

    @cached_property
    def memberships(self) -> tuple[Membership, ...]:
        if not self.user.is_authenticated:
            return ()
        return tuple(Membership.objects.filter(user=self.user))

    @property
    def is_admin(self) -> bool:
        return bool(self.user.is_superuser) or any(m.role == Role.ADMIN for m in self.memberships)

    def brand_ids(self, *roles: str) -> set[int]:
        return {m.brand_id for m in self.memberships if m.role in roles and m.brand_id}

    @property
    def staff_brand_ids(self) -> set[int]:
        """Brands whose whole network this user sees (head office and reviewers)."""
        return self.brand_ids(Role.HEAD_OFFICE, Role.REVIEWER)

    @property
    def head_office_brand_ids(self) -> set[int]:
        return self.brand_ids(Role.HEAD_OFFICE)

    @property
    def owned_franchisee_ids(self) -> set[int]:
        return {m.franchisee_id for m in self.memberships if m.role == Role.OWNER}

    @property
    def is_shopper(self) -> bool:
        return any(m.role == Role.SHOPPER for m in self.memberships)

    @property
    def roles(self) -> list[str]:
        return sorted(
            {m.role for m in self.memberships} | ({Role.ADMIN} if self.is_admin else set())
        )

    # --- One predicate per notion: views, permissions and selectors ask these, never roles.

    @property
    def reads_whole_network(self) -> bool:
        """Head office, reviewers and admins: staff who read a brand's network and shoppers."""
        return self.is_admin or bool(self.staff_brand_ids)

    @property
    def writes_network(self) -> bool:
        """Head office writes its brand's network, checklists and visits (admins use /admin/)."""
        return bool(self.head_office_brand_ids)

    @property
    def reads_benchmarks(self) -> bool:
        """League tables: head office, reviewers, franchise owners (their rows) and admins."""
        return self.reads_whole_network or bool(self.owned_franchisee_ids)

    @property
    def reviews_reports(self) -> bool:
        """Quality control (claim, decide, read signals and risk): head office and reviewers."""
        return self.reads_whole_network

    @property
    def reads_calibration(self) -> bool:
        """Shopper leniency points at who made a visit: staff only, never an owner as such."""
        return self.reads_whole_network

    def sees_whole_brand(self, brand_id: int) -> bool:
        """Whether every unit of the brand, names and shoppers included, is this user's."""
        return self.is_admin or brand_id in self.staff_brand_ids

    def sees_shopper_of(self, submission: Submission) -> bool:
        """Whether this user may learn who made a visit: never an owner, as such."""
        if submission.shopper_id == self.user.pk:
            return True
        return self.sees_whole_brand(submission.assignment.branch.brand_id)


def access_for(user: User) -> Access:
    """The user's access, cached on the user object so a request loads memberships once."""
    cached = getattr(user, "_touchpoint_access", None)
    if cached is None:
        cached = Access(user)
        if user.is_authenticated:
            user._touchpoint_access = cached
    return cached


def _brand_choices(brand_ids: set[int]) -> str:
    names = dict(Brand.objects.filter(pk__in=brand_ids).values_list("pk", "name"))
    return ", ".join(f"{pk} ({names.get(pk, '?')})" for pk in sorted(brand_ids))


def brand_among(brand_ids: set[int], requested: int | None) -> int | None:
    """The brand a caller acts for among `brand_ids`: the one named, or the only one.

    Never implied among several: without `brand`, a 400 listing the choices; a brand not
    among them is a 400 naming `brand` too (the caller's brands are theirs to see in /me/,
    so this reveals nothing). None when the caller has no brand at all.
    """
    if requested is not None:
        if requested not in brand_ids:
            raise InvalidInput(
                {
                    "brand": [
                        f"Not one of your brands: {requested}. "
                        f"Choose one of: {_brand_choices(brand_ids) or 'none'}."
                    ]
                }
            )
        return requested
    if len(brand_ids) <= 1:
        return next(iter(brand_ids), None)
    raise InvalidInput(
        {
            "brand": [
                "You act for several brands: name one with `brand`. "
                f"Choose one of: {_brand_choices(brand_ids)}."
            ]
        },
        code="required",
    )


def head_office_brand_for(user: User, requested: int | None) -> Brand:
    """The brand a head-office user writes into (`brand_among` their head-office brands)."""
    brand_id = brand_among(access_for(user).head_office_brand_ids, requested)
    if brand_id is None:
        raise Forbidden("Only head office may do this.")
    return Brand.objects.get(pk=brand_id)


def benchmark_brand_ids(user: User) -> set[int]:
    """Brands whose league tables the caller reads: staff's brands, owners' brand, or all."""
    access = access_for(user)
    if not user.is_authenticated:
        return set()
    if access.is_admin:
        return set(Brand.objects.values_list("pk", flat=True))
    owned: set[int] = set()
    if access.owned_franchisee_ids:
        owned = set(
            Franchisee.objects.filter(pk__in=access.owned_franchisee_ids).values_list(
                "brand_id", flat=True
            )
        )
    return access.staff_brand_ids | owned


def _authenticated_only(selector: Callable[[User], QuerySet]) -> Callable[[User], QuerySet]:
    """An anonymous caller (or schema generation) sees nothing, whatever the selector."""

    @wraps(selector)
    def scoped(user: User) -> QuerySet:
        queryset = selector(user)
        return queryset if user.is_authenticated else queryset.none()

    return scoped


def _branch_scope(access: Access, prefix: str = "") -> Q:
    """Q over branches (optionally through `prefix`) that head office or owners may see."""
    if access.is_admin:
        return Q()
    return Q(**{f"{prefix}brand_id__in": access.staff_brand_ids}) | Q(
        **{f"{prefix}franchisee_id__in": access.owned_franchisee_ids}
    )


@_authenticated_only
def brands_managed_by(user: User) -> QuerySet[Brand]:
    """Brands whose settings the caller manages: their head-office brands."""
    return Brand.objects.filter(pk__in=access_for(user).head_office_brand_ids)


@_authenticated_only
def branches_visible_to(user: User) -> QuerySet[Branch]:
    access = access_for(user)
    return Branch.objects.filter(_branch_scope(access)).select_related("franchisee", "region")


@_authenticated_only
def regions_visible_to(user: User) -> QuerySet[Region]:
    """The brand's regions for head office; an owner sees the regions of their branches."""
    access = access_for(user)
    if access.is_admin:
        return Region.objects.all()
    return Region.objects.filter(
        Q(brand_id__in=access.staff_brand_ids)
        | Q(
            id__in=Branch.objects.filter(franchisee_id__in=access.owned_franchisee_ids).values(
                "region_id"
            )
        )
    )


@_authenticated_only
def franchisees_visible_to(user: User) -> QuerySet[Franchisee]:
    access = access_for(user)
    if access.is_admin:
        return Franchisee.objects.all()
    return Franchisee.objects.filter(
        Q(brand_id__in=access.staff_brand_ids) | Q(id__in=access.owned_franchisee_ids)
    )


@_authenticated_only
def shoppers_visible_to(user: User) -> QuerySet[User]:
    """Shopper accounts head office may manage and assign; never visible to owners."""
    access = access_for(user)
    shoppers = User.objects.filter(memberships__role=Role.SHOPPER)
    if not access.is_admin:
        shoppers = shoppers.filter(memberships__brand_id__in=access.staff_brand_ids)
    return shoppers.distinct().order_by("username")


def shoppers_managed_by(user: User) -> QuerySet[User]:
    """Shopper accounts of the brands where the caller is head office (not reviewer)."""
    brand_ids = access_for(user).head_office_brand_ids
    return (
        User.objects.filter(memberships__role=Role.SHOPPER, memberships__brand_id__in=brand_ids)
        .distinct()
        .order_by("username")
    )


@_authenticated_only
def checklists_visible_to(user: User) -> QuerySet[ChecklistVersion]:
    """Versions of the caller's brands (staff and owners: what their branches are audited
    against), and any version pinned by the shopper's own assignments."""
    access = access_for(user)
    versions = ChecklistVersion.objects.select_related("template")
    if access.is_admin:
        return versions
    owned_brands = Franchisee.objects.filter(id__in=access.owned_franchisee_ids).values("brand_id")
    pinned = Assignment.objects.filter(shopper_id=user.pk).values("checklist_id")
    return versions.filter(
        Q(template__brand_id__in=access.staff_brand_ids)
        | Q(template__brand_id__in=owned_brands)
        | Q(id__in=pinned)
    )


@_authenticated_only
def assignments_visible_to(user: User) -> QuerySet[Assignment]:
    """A shopper's own assignments; head office sees its brand's."""
    access = access_for(user)
    assignments = Assignment.objects.select_related("branch", "checklist__template")
    if access.is_admin:
        return assignments
    return assignments.filter(
        Q(shopper_id=user.pk) | Q(branch__brand_id__in=access.head_office_brand_ids)
    )


@_authenticated_only
def assignments_writable_by(user: User) -> QuerySet[Assignment]:
    """Assignments the caller acts on as their shopper: accept one, submit a visit for it.

    The checklist's JSON is left unread: answers are checked against the version's parsed
    checklist, which each process keeps once read (`ChecklistVersion.checklist`).
    """
    return (
        Assignment.objects.select_related("branch", "checklist__template")
        .defer("checklist__definition")
        .filter(shopper_id=user.pk)
    )


@_authenticated_only
def assignments_managed_by(user: User) -> QuerySet[Assignment]:
    """Assignments head office may change (cancel): those of its brands' branches."""
    return Assignment.objects.select_related("branch", "checklist__template").filter(
        branch__brand_id__in=access_for(user).head_office_brand_ids
    )


def prefetched(instance: Model, **related: Sequence[Model]) -> Model:
    """Fill `instance`'s prefetch cache of each named reverse relation with `related` rows,
    the way `prefetch_related` leaves it, so reading them back costs no query.

    For rows the caller has just written in this request (a submission's answers, its
    photos none yet): what a re-read through the selector would find, without the re-read.
    """
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in related.items():
        queryset = getattr(instance, name).all()
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset
    return instance


def _current_scores() -> Prefetch:
    return Prefetch(
        "scores", queryset=Score.objects.filter(is_current=True), to_attr="current_scores"
    )


def _network_scope(access: Access) -> Q:
    """Reports of the caller's network: every state for the brand's staff; an owner's branches
    only once released (quality control comes before the owner reads a report)."""
    return Q(assignment__branch__brand_id__in=access.staff_brand_ids) | Q(
        assignment__branch__franchisee_id__in=access.owned_franchisee_ids,
        status__in=RELEASED_STATUSES,
    )


@_authenticated_only
def submissions_visible_to(user: User) -> QuerySet[Submission]:
    """Its shopper, the brand's head office and reviewers, and owners of the branch (released)."""
    access = access_for(user)
    submissions = Submission.objects.select_related(
        "assignment__branch__franchisee", "assignment__branch__region", "shopper"
    ).prefetch_related("photos", "answers", _current_scores())
    if access.is_admin:
        return submissions
    return submissions.filter(Q(shopper_id=user.pk) | _network_scope(access))


def visits_listed(visits: QuerySet[Submission], *, answers: bool) -> QuerySet[Submission]:
    """The rows of a list of visits: their answers read only when the caller asked for them.

    A page of 50 audits holds about 2,000 answers; list rows leave them out (the detail and
    `?include=answers` carry them), and so does this query.
    """
    if answers:
        return visits
    kept = [
        lookup
        for lookup in visits._prefetch_related_lookups
        if getattr(lookup, "prefetch_through", lookup) != "answers"
    ]
    return visits.prefetch_related(None).prefetch_related(*kept)


@_authenticated_only
def audits_visible_to(user: User) -> QuerySet[Submission]:
    """Audits (reports with a score) of the branches the caller may see: staff see every
    state, owners released ones; a shopper's own work is not an audit to them."""
    access = access_for(user)
    audits = submissions_visible_to(user).filter(status__in=SCORED_STATUSES)
    if access.is_admin:
        return audits
    return audits.filter(_network_scope(access))


@_authenticated_only
def submissions_reviewed_by(user: User) -> QuerySet[Submission]:
    """Reports the caller reviews (claims, decides, reads the signals of): those of the brands
    where they are head office or a reviewer, never their own visits."""
    access = access_for(user)
    submissions = Submission.objects.select_related(
        "assignment__branch__brand", "assignment__branch__franchisee", "shopper", "claimed_by"
    )
    if not access.is_admin:
        submissions = submissions.filter(assignment__branch__brand_id__in=access.staff_brand_ids)
    return submissions.exclude(shopper_id=user.pk)


@_authenticated_only
def review_queue_for(user: User) -> QuerySet[Submission]:
    """Scored reports of the caller's brands waiting for review (held ones included, marked),
    highest risk first, then the oldest; never the caller's own visits."""
    waiting = submissions_reviewed_by(user).filter(status__in=REVIEW_QUEUE_STATUSES)
    return (
        waiting.prefetch_related(_current_scores())
        .annotate(risk_rank=risk_rank())
        .order_by("-risk_rank", "scored_at", "pk")
    )


@_authenticated_only
def submissions_writable_by(user: User) -> QuerySet[Submission]:
    """Submissions the caller's phone may add to (photos): their own, whatever their role."""
    return Submission.objects.select_related("assignment__branch", "assignment__checklist").filter(
        shopper_id=user.pk
    )


@_authenticated_only
def photos_visible_to(user: User) -> QuerySet[Photo]:
    """Photos of the submissions the caller may read; staff-only ones (receipts) only for
    those who may learn who made the visit: its shopper, the brand's staff, admins."""
    access = access_for(user)
    photos = Photo.objects.filter(submission__in=submissions_visible_to(user).values("pk"))
    if access.is_admin:
        return photos
    return photos.filter(
        Q(staff_only=False)
        | Q(submission__shopper_id=user.pk)
        | Q(submission__assignment__branch__brand_id__in=access.staff_brand_ids)
    )


# --- Benchmarks -------------------------------------------------------------------------------


@_authenticated_only
def benchmark_snapshots_visible_to(user: User) -> QuerySet[BenchmarkSnapshot]:
    """Snapshots of the brands whose league tables the caller reads, without their big JSON.

    Head office and reviewers read their brands' tables whole; an owner reads the tables of
    the brand their franchisee belongs to, but only the rows `benchmark_rows_visible_to`
    lets through (plus the nameless peer quartiles).
    """
    access = access_for(user)
    snapshots = BenchmarkSnapshot.objects.defer("data", "shopper_leniency")
    if access.is_admin:
        return snapshots
    owner_brands = Franchisee.objects.filter(pk__in=access.owned_franchisee_ids).values("brand_id")
    return snapshots.filter(
        Q(brand_id__in=access.staff_brand_ids) | Q(brand_id__in=Subquery(owner_brands))
    )


def benchmark_rows_visible_to(user: User, snapshot: BenchmarkSnapshot) -> QuerySet[BenchmarkRow]:
    """Rows of one snapshot the caller may see, in league order.

    An owner sees the rows of their own branches and their own franchisee, never another
    unit's row or a region's (a region mixes other franchisees' branches).
    """
    rows = BenchmarkRow.objects.filter(snapshot=snapshot).order_by("level", "position")
    if not user.is_authenticated:
        return rows.none()
    if access_for(user).sees_whole_brand(snapshot.brand_id):
        return rows
    owned = access_for(user).owned_franchisee_ids
    own_branches = Branch.objects.filter(franchisee_id__in=owned).values("pk")
    return rows.filter(
        Q(level="branch", unit_id__in=Subquery(own_branches))
        | Q(level="franchisee", unit_id__in=owned)
    )


@_authenticated_only
def calibration_shoppers_visible_to(user: User) -> QuerySet[User]:
    """Shoppers whose leniency the caller may see: head office and reviewers of their brand.

    Never an owner, whatever else they are: leniency points at who made a visit.
    """
    if not access_for(user).reads_calibration:
        return User.objects.none()
    return shoppers_visible_to(user)


# --- The audit trail ------------------------------------------------------------------------

# What an owner reads of an audit's trail: its release, its appeals and its actions.
OWNER_TRAIL = Q(kind=EventKind.STATUS, after__status__in=RELEASED_STATUSES) | Q(
    kind__in=(
        EventKind.APPEAL_OPENED,
        EventKind.APPEAL_DECIDED,
        EventKind.ACTION_OPENED,
        EventKind.ACTION_COMPLETED,
        EventKind.ACTION_VERIFIED,
        EventKind.ACTION_REOPENED,
        EventKind.EVIDENCE_ADDED,
        EventKind.ACTION_WITHDRAWN,
    )
)


def trail_visible_to(user: User, audit: Submission) -> QuerySet[Event]:
    """The trail of an audit the caller reads (`audits_visible_to` found it): the brand's staff
    see every event; an owner the events about its release, appeals and actions."""
    events = Event.objects.filter(submission=audit).select_related("by").order_by("at", "id")
    if access_for(user).sees_whole_brand(audit.assignment.branch.brand_id):
        return events
    return events.filter(OWNER_TRAIL)


# --- Appeals ----------------------------------------------------------------------------------


@_authenticated_only
def audits_appealable_by(user: User) -> QuerySet[Submission]:
    """Audits an owner may appeal: the released ones of their own franchisees' branches."""
    access = access_for(user)
    return audits_visible_to(user).filter(
        status__in=RELEASED_STATUSES,
        assignment__branch__franchisee_id__in=access.owned_franchisee_ids,
    )


@_authenticated_only
def appeals_visible_to(user: User) -> QuerySet[Appeal]:
    """Appeals of the brands whose staff the caller is, and an owner's own franchisees'."""
    access = access_for(user)
    appeals = Appeal.objects.select_related(
        "submission__assignment__branch", "opened_by", "decided_by"
    ).prefetch_related("items", "evidence")
    if access.is_admin:
        return appeals
    return appeals.filter(
        Q(submission__assignment__branch__brand_id__in=access.staff_brand_ids)
        | Q(submission__assignment__branch__franchisee_id__in=access.owned_franchisee_ids)
    )


@_authenticated_only
def appeals_decided_by(user: User) -> QuerySet[Appeal]:
    """Appeals the caller decides: those of the brands where they are head office."""
    access = access_for(user)
    appeals = appeals_visible_to(user)
    if access.is_admin:
        return appeals
    return appeals.filter(submission__assignment__branch__brand_id__in=access.head_office_brand_ids)


@_authenticated_only
def appeals_evidenced_by(user: User) -> QuerySet[Appeal]:
    """Appeals an owner adds evidence photos to: their own franchisees' (open or not: the
    service names why a decided one takes none)."""
    return appeals_visible_to(user).filter(
        submission__assignment__branch__franchisee_id__in=access_for(user).owned_franchisee_ids
    )


# --- Actions ----------------------------------------------------------------------------------


@_authenticated_only
def actions_visible_to(user: User) -> QuerySet[Action]:
    """Actions of the branches the caller sees: the brand's staff all of them, an owner those
    of their franchisees' branches."""
    access = access_for(user)
    actions = Action.objects.select_related(
        "branch", "completed_by", "verified_by"
    ).prefetch_related("evidence")
    if access.is_admin:
        return actions
    return actions.filter(
        Q(branch__brand_id__in=access.staff_brand_ids)
        | Q(branch__franchisee_id__in=access.owned_franchisee_ids)
    )


@_authenticated_only
def actions_completed_by(user: User) -> QuerySet[Action]:
    """Actions an owner completes: their own franchisees' branches'."""
    return actions_visible_to(user).filter(
        branch__franchisee_id__in=access_for(user).owned_franchisee_ids
    )


@_authenticated_only
def actions_managed_by(user: User) -> QuerySet[Action]:
    """Actions head office verifies or reopens: its brands'."""
    return actions_visible_to(user).filter(
        branch__brand_id__in=access_for(user).head_office_brand_ids
    )


@_authenticated_only
def evidence_visible_to(user: User) -> QuerySet[EvidencePhoto]:
    """Evidence photos of the appeals and actions the caller may read (owners took them: no
    staff-only ones among them)."""
    return EvidencePhoto.objects.filter(
        Q(appeal__in=appeals_visible_to(user).values("pk"))
        | Q(action__in=actions_visible_to(user).values("pk"))
    )


# --- Notifications ----------------------------------------------------------------------------


@_authenticated_only
def notifications_of(user: User) -> QuerySet[Notification]:
    """The caller's own notifications: nobody reads another's."""
    return Notification.objects.filter(user_id=user.pk)
