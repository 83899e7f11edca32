"""A photo belongs to an item that takes photos and that the shopper was shown."""

from __future__ import annotations

from scoring.answers import photo_item_error
from support.scoring_builders import answers, item, one_section

CHECKLIST = one_section(
    item("greeted"),
    item("storefront", "photo"),
    item("went_wrong"),
    item("receipt", "yes_no", requires_photo=True),
    item("damage", "photo", show_if={"item": "went_wrong", "equals": True}),
)


def test_photo_and_proof_items_take_photos():
    shown = answers(greeted=True, went_wrong=False, receipt=True)
    assert photo_item_error(CHECKLIST, shown, "storefront") is None
    assert photo_item_error(CHECKLIST, shown, "receipt") is None
    assert photo_item_error(CHECKLIST, shown, "") is None  # the visit as a whole


def test_an_item_without_photos_unknown_or_hidden_is_named():
    shown = answers(greeted=True, went_wrong=False, receipt=True)
    assert "takes no photos" in photo_item_error(CHECKLIST, shown, "greeted")
    assert "Unknown item" in photo_item_error(CHECKLIST, shown, "nope")
    assert "not shown" in photo_item_error(CHECKLIST, shown, "damage")
    revealed = answers(greeted=True, went_wrong=True, receipt=True)
    assert photo_item_error(CHECKLIST, revealed, "damage") is None
