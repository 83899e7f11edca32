"""factory_boy factories: one place that knows how to make valid rows for tests."""

from __future__ import annotations

import copy
from datetime import timedelta

import factory
from django.utils import timezone

from audits.models import (
    Assignment,
    Branch,
    Brand,
    ChecklistTemplate,
    ChecklistVersion,
    Franchisee,
    Membership,
    Region,
    Role,
    User,
)
from scoring.checklist import checklist_to_dict, parse_checklist

PASSWORD = "correct-horse-battery"

# A small checklist that still exercises every rule the API validates: types, N/A,
# critical, bonus, bands, a photo item and a recovery item shown only when something failed.
SMALL_CHECKLIST = {
    "title": "Test visit",
    "pass_mark": 80,
    "critical_policy": "flag",
    "sections": [
        {
            "key": "first_impression",
            "title": "First impression",
            "dimension": "first_impression",
            "items": [
                {"key": "greeted", "text": "Greeted on arrival?", "type": "yes_no"},
                {
                    "key": "wait_seconds",
                    "text": "Seconds until served",
                    "type": "number",
                    "bands": [{"max": 60, "points": 1}, {"max": 180, "points": 0.5}],
                },
                {"key": "storefront", "text": "Storefront photo", "type": "photo"},
            ],
        },
        {
            "key": "care",
            "title": "Care and concern",
            "dimension": "care_and_concern",
            "items": [
                {"key": "listened", "text": "Listened?", "type": "scale", "scale_max": 5},
                {
                    "key": "courteous",
                    "text": "Staff were courteous",
                    "type": "yes_no",
                    "critical": True,
                },
                {
                    "key": "name_used",
                    "text": "Used your name",
                    "type": "yes_no",
                    "na_allowed": True,
                },
                {
                    "key": "resolution",
                    "text": "How was your question handled?",
                    "type": "choice",
                    "options": [
                        {"key": "solved", "label": "Solved at once", "points": 1},
                        {"key": "referred", "label": "Referred elsewhere", "points": 0.5},
                        {"key": "ignored", "label": "Not handled", "points": 0},
                    ],
                },
                {"key": "extra_mile", "text": "Went beyond", "type": "yes_no", "bonus": True},
            ],
        },
        {
            "key": "recovery",
            "title": "Recovery",
            "dimension": "recovery",
            "items": [
                {
                    "key": "went_wrong",
                    "text": "Did anything go wrong?",
                    "type": "yes_no",
                    "weight": 0,
                },
                {
                    "key": "apology",
                    "text": "Was an apology offered?",
                    "type": "yes_no",
                    "show_if": {"item": "went_wrong", "equals": True},
                },
                {"key": "notes", "text": "Comments", "type": "text"},
            ],
        },
    ],
}


def good_answers(**overrides) -> list[dict]:
    """A complete, valid answer list for SMALL_CHECKLIST; overrides replace values by item."""
    values = {
        "greeted": True,
        "wait_seconds": 45,
        "listened": 4,
        "courteous": True,
        "name_used": True,
        "resolution": "solved",
        "extra_mile": False,
        "went_wrong": False,
        "notes": "Pleasant visit.",
    }
    values.update(overrides)
    answers = []
    for key, value in values.items():
        if value == "N/A":
            answers.append({"item": key, "na": True})
        elif value is not ...:
            answers.append({"item": key, "value": value})
    return answers


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"Region {n}")


class FranchiseeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Franchisee

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"Franchisee {n}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    franchisee = factory.SubFactory(FranchiseeFactory)
    brand = factory.SelfAttribute("franchisee.brand")
    region = factory.SubFactory(RegionFactory, brand=factory.SelfAttribute("..brand"))
    name = factory.Sequence(lambda n: f"Branch {n}")
    address = "1 High Street"
    latitude = 51.5
    longitude = -0.12
    timezone = "Europe/London"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.SHOPPER
    brand = factory.SubFactory(BrandFactory)


class ChecklistTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistTemplate

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"Template {n}")


class ChecklistVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistVersion

    template = factory.SubFactory(ChecklistTemplateFactory)
    version = factory.Sequence(lambda n: n + 1)
    title = "Test visit"
    definition = factory.LazyFunction(
        lambda: checklist_to_dict(parse_checklist(copy.deepcopy(SMALL_CHECKLIST)))
    )


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    branch = factory.SubFactory(BranchFactory)
    shopper = factory.SubFactory(UserFactory)
    checklist = factory.SubFactory(
        ChecklistVersionFactory, template__brand=factory.SelfAttribute("...branch.brand")
    )
    scenario = "Ask for a refund on a faulty item"
    window_start = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    window_end = factory.LazyFunction(lambda: timezone.now() + timedelta(days=6))
