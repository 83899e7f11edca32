"""Head office builds its network: regions, franchisees, branches and shopper accounts."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from audits.errors import InvalidInput
from audits.models import Branch, Brand, Franchisee, Membership, Region, Role, User


def _create_named(model: type[Region | Franchisee], *, brand: Brand, name: str):
    """Create a region or franchisee whose name is unique within the brand.

    The insert itself is the check (in a savepoint): a look-up first would let two
    simultaneous requests with the same name both pass it, and the loser would get a 500.
    """
    try:
        with transaction.atomic():
            return model.objects.create(brand=brand, name=name)
    except IntegrityError as exc:
        label = model._meta.verbose_name
        raise InvalidInput({"name": [f"This brand already has a {label} of that name."]}) from exc


def region_create(*, brand: Brand, name: str) -> Region:
    return _create_named(Region, brand=brand, name=name)


def franchisee_create(*, brand: Brand, name: str) -> Franchisee:
    return _create_named(Franchisee, brand=brand, name=name)


def branch_create(
    *,
    brand: Brand,
    name: str,
    franchisee_id: int,
    latitude: float,
    longitude: float,
    timezone: str = "UTC",
    address: str = "",
    region_id: int | None = None,
) -> Branch:
    """Create a branch of `brand`; `franchisee_id` and `region_id` are looked up in that brand.

    An id of another brand is "unknown", exactly like one that does not exist.
    """
    errors = {}
    franchisee_obj = Franchisee.objects.filter(pk=franchisee_id, brand=brand).first()
    if franchisee_obj is None:
        errors["franchisee"] = ["Unknown franchisee."]
    region_obj = None
    if region_id is not None:
        region_obj = Region.objects.filter(pk=region_id, brand=brand).first()
        if region_obj is None:
            errors["region"] = ["Unknown region."]
    if errors:
        raise InvalidInput(errors)
    branch = Branch(
        brand=brand,
        name=name,
        franchisee=franchisee_obj,
        region=region_obj,
        address=address,
        latitude=latitude,
        longitude=longitude,
        timezone=timezone,
    )
    try:
        branch.full_clean()
    except DjangoValidationError as exc:
        raise InvalidInput(exc.message_dict) from exc
    branch.save()
    return branch


@transaction.atomic
def shopper_create(*, brand: Brand | None, username: str, password: str, email: str = "") -> User:
    """Create a shopper account; the password is checked by Django's validators."""
    user = User(username=username, email=email)
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput({"password": list(exc.messages)}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise InvalidInput({"username": ["A user with that username already exists."]}) from exc
    Membership.objects.create(user=user, role=Role.SHOPPER, brand=brand)
    return user
