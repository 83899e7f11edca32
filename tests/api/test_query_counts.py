"""Every list endpoint makes the same number of queries for 2 rows as for 12.

Rows carry everything their serializer reads (audits with answers, photos and score rows,
assignments with their submission), so a missing select_related or prefetch_related shows
up as a count that grows with the page.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import Role, SubmissionStatus
from support.factories import (
    AssignmentFactory,
    BranchFactory,
    BrandFactory,
    ChecklistVersionFactory,
    FranchiseeFactory,
    MembershipFactory,
    PhotoFactory,
    RegionFactory,
    ScoreFactory,
    SubmissionFactory,
    UserFactory,
)
from support.helpers import client_for

pytestmark = pytest.mark.django_db

# A fixed query budget per request: auth user, memberships, count, page, prefetches.
MAX_QUERIES = 12


class Network:
    """A fresh brand with one head office, one owner and one shopper, and nothing else."""

    def __init__(self) -> None:
        self.brand = BrandFactory()
        self.franchisee = FranchiseeFactory(brand=self.brand)
        self.region = RegionFactory(brand=self.brand)
        self.checklist = ChecklistVersionFactory(template__brand=self.brand)
        self.hq = self._member(Role.HEAD_OFFICE)
        self.owner = self._member(Role.OWNER, franchisee=self.franchisee)
        self.shopper = self._member(Role.SHOPPER)
        self.branch = BranchFactory(franchisee=self.franchisee, region=self.region)

    def _member(self, role, franchisee=None):
        user = UserFactory()
        MembershipFactory(user=user, role=role, brand=self.brand, franchisee=franchisee)
        return user

    # Row builders: each adds one row to the list under test, visible to `reader`.

    def add_branch(self) -> None:
        BranchFactory(franchisee=self.franchisee, region=RegionFactory(brand=self.brand))

    def add_region(self) -> None:
        RegionFactory(brand=self.brand)

    def add_franchisee(self) -> None:
        FranchiseeFactory(brand=self.brand)

    def add_shopper(self) -> None:
        self._member(Role.SHOPPER)

    def add_assignment(self, *, submitted: bool = True) -> None:
        assignment = AssignmentFactory(
            branch=BranchFactory(franchisee=self.franchisee),
            shopper=self.shopper,
            checklist=ChecklistVersionFactory(template__brand=self.brand),
        )
        if submitted:
            self._submit(assignment, photos=1, score=False)

    def add_audit(self) -> None:
        assignment = AssignmentFactory(
            branch=BranchFactory(
                franchisee=self.franchisee, region=RegionFactory(brand=self.brand)
            ),
            shopper=self.shopper,
            checklist=self.checklist,
        )
        self._submit(assignment, photos=2, score=True)

    def _submit(self, assignment, *, photos: int, score: bool) -> None:
        released = {"status": SubmissionStatus.RELEASED} if score else {}
        submission = SubmissionFactory(assignment=assignment, photo_count=photos, **released)
        PhotoFactory.create_batch(photos, submission=submission)
        if score:
            # A superseded score row too: only the current one may be read, in the same query.
            ScoreFactory.create_batch(2, submission=submission)


@pytest.fixture
def net(db) -> Network:
    return Network()


# endpoint, reader, row builder; the reader sees exactly the rows the builder adds (+ base).
CASES: list[tuple[str, str, Callable[[Network], None]]] = [
    ("branches", "hq", Network.add_branch),
    ("branches", "owner", Network.add_branch),
    ("regions", "hq", Network.add_region),
    ("regions", "owner", Network.add_branch),
    ("franchisees", "hq", Network.add_franchisee),
    ("shoppers", "hq", Network.add_shopper),
    ("assignments", "hq", Network.add_assignment),
    ("assignments", "shopper", Network.add_assignment),
    ("submissions", "hq", Network.add_audit),
    ("submissions", "owner", Network.add_audit),
    ("submissions", "shopper", Network.add_audit),
    ("audits", "hq", Network.add_audit),
    ("audits", "owner", Network.add_audit),
]


def _measure(net: Network, endpoint: str, reader: str) -> tuple[int, int, list[str]]:
    client = client_for(getattr(net, reader))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/{endpoint}/", {"page_size": 100})
    assert response.status_code == 200, response.content
    rows = response.json()["count"]
    return rows, len(queries), [q["sql"] for q in queries.captured_queries]


def _grow_to(net: Network, endpoint: str, reader: str, add, rows: int) -> None:
    for _ in range(3 * rows):
        if _count(net, endpoint, reader) >= rows:
            return
        add(net)
    raise AssertionError(f"{reader} never saw {rows} rows of {endpoint}: the builder is wrong")


def _count(net: Network, endpoint: str, reader: str) -> int:
    return client_for(getattr(net, reader)).get(f"/api/v1/{endpoint}/").json()["count"]


@pytest.mark.parametrize(
    ("endpoint", "reader", "add"), CASES, ids=[f"{e}-{r}" for e, r, _ in CASES]
)
def test_list_query_count_does_not_grow_with_rows(net, endpoint, reader, add):
    _grow_to(net, endpoint, reader, add, 2)
    rows_small, small, _ = _measure(net, endpoint, reader)
    _grow_to(net, endpoint, reader, add, 12)
    rows_big, big, sql = _measure(net, endpoint, reader)
    assert (rows_small, rows_big) == (2, 12)
    assert big == small, "\n".join(sql)
    assert big <= MAX_QUERIES, "\n".join(sql)


def test_the_check_notices_a_query_per_row(net, monkeypatch):
    """Drop the photo prefetch and the audits list must cost one more query per row."""
    from audits import selectors

    original = selectors.submissions_visible_to.__wrapped__

    def without_photos(user):
        queryset = original(user)
        lookups = [lookup for lookup in queryset._prefetch_related_lookups if lookup != "photos"]
        return queryset.prefetch_related(None).prefetch_related(*lookups)

    from audits.api.views import SubmissionViewSet

    monkeypatch.setattr(
        SubmissionViewSet, "read_selector", selectors._authenticated_only(without_photos)
    )
    _grow_to(net, "submissions", "hq", Network.add_audit, 2)
    _, small, _ = _measure(net, "submissions", "hq")
    _grow_to(net, "submissions", "hq", Network.add_audit, 12)
    _, big, _ = _measure(net, "submissions", "hq")
    assert big - small == 10
