"""Who is who: brands, their regions, franchisees and branches, and the people in roles."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not a known IANA time zone.")


class Brand(models.Model):
    """A franchise network; its head office authors checklists and compares branches."""

    name = models.CharField(max_length=200, unique=True)
    min_audits = models.PositiveSmallIntegerField(
        default=3,
        help_text="Branches with fewer counted audits in a period get a few-audits badge.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="regions")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "name"], name="region_unique_name_per_brand")
        ]

    def __str__(self) -> str:
        return self.name


class Franchisee(models.Model):
    """A business that owns one or more of a brand's branches."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="franchisees")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "name"], name="franchisee_unique_name_per_brand"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="branches")
    franchisee = models.ForeignKey(Franchisee, on_delete=models.PROTECT, related_name="branches")
    region = models.ForeignKey(
        Region, on_delete=models.SET_NULL, null=True, blank=True, related_name="branches"
    )
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "branches"
        indexes = [models.Index(fields=["brand", "franchisee"])]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    SHOPPER = "shopper", "Shopper"
    OWNER = "owner", "Franchise owner"
    HEAD_OFFICE = "head_office", "Head office"
    REVIEWER = "reviewer", "Reviewer"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    """A person who signs in; what they may see comes from their memberships."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Membership(models.Model):
    """A role a user holds in a brand (and, for franchise owners, in one franchisee)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    brand = models.ForeignKey(
        Brand, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    franchisee = models.ForeignKey(
        Franchisee, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "brand"],
                condition=models.Q(franchisee__isnull=True),
                name="membership_unique_brand_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "franchisee"],
                condition=models.Q(franchisee__isnull=False),
                name="membership_unique_franchisee_role",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="owner") | models.Q(franchisee__isnull=False),
                name="membership_owner_has_franchisee",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=["head_office", "reviewer"])
                | models.Q(brand__isnull=False),
                name="membership_staff_has_brand",
            ),
        ]

    def __str__(self) -> str:
        scope = self.franchisee or self.brand or "everywhere"
        return f"{self.user} as {self.get_role_display()} of {scope}"

    def clean(self) -> None:
        if self.franchisee_id and self.brand_id and self.franchisee.brand_id != self.brand_id:
            raise ValidationError({"franchisee": "The franchisee belongs to another brand."})


class SignInUnlock(models.Model):
    """Head office let a locked account sign in again before its lockout ran out: who, whom,
    when and why (audits/services/sign_in.py)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_unlocks")
    unlocked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    unlocked_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=1000)

    class Meta:
        ordering = ["-unlocked_at"]

    def __str__(self) -> str:
        return f"{self.user} unlocked by {self.unlocked_by} at {self.unlocked_at:%Y-%m-%d %H:%M}"
