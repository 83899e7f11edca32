"""Turn the JSON shape of a checklist into `scoring.types` dataclasses, and back.

The parser is the only gate a checklist passes before it is scored, so it checks everything
the engine relies on (unique keys, show_if pointing backwards, points within 0..1, ...) and
reports every problem at once, keyed by the JSON path of the offending place, so that an
editor can mark all of them in one round trip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from scoring._numbers import fraction_to_json, is_number, to_fraction
from scoring.types import (
    CRITICAL_POLICIES,
    DEFAULT_NUMBER_MAX,
    DEFAULT_NUMBER_MIN,
    ITEM_TYPES,
    KEY_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    MAX_ITEMS,
    NUMBER_LIMIT,
    TEXT_MAX_LENGTH_LIMIT,
    Band,
    Checklist,
    Item,
    Option,
    Section,
    ShowIf,
)

DEFAULT_PASS_MARK = Fraction(80)
DEFAULT_CRITICAL_POLICY = "flag"

# Types whose answers never earn points on their own (a number item earns only through bands).
UNSCORED_TYPES = ("text", "photo")

ROOT_PATH = "checklist"


class ChecklistError(Exception):
    """A checklist that cannot be used; `errors` maps JSON paths to human messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        count = sum(len(messages) for messages in errors.values())
        first_path = next(iter(errors), ROOT_PATH)
        super().__init__(f"invalid checklist: {count} error(s), first at {first_path!r}")


def parse_checklist(data: Mapping) -> Checklist:
    """Validate the JSON shape `data` and return it as a `Checklist`, or raise `ChecklistError`.

    Unknown keys (id, template, version, ...) are ignored so that stored rows can be passed in
    as they are.
    """
    return _ChecklistParser().parse(data)


def checklist_to_dict(checklist: Checklist) -> dict[str, Any]:
    """The JSON shape of `checklist`, every field spelled out, numbers as JSON numbers."""
    return {
        "title": checklist.title,
        "pass_mark": fraction_to_json(checklist.pass_mark),
        "critical_policy": checklist.critical_policy,
        "sections": [_section_to_dict(section) for section in checklist.sections],
    }


def _section_to_dict(section: Section) -> dict[str, Any]:
    return {
        "key": section.key,
        "title": section.title,
        "dimension": section.dimension,
        "weight": None if section.weight is None else fraction_to_json(section.weight),
        "items": [_item_to_dict(item) for item in section.items],
    }


def _item_to_dict(item: Item) -> dict[str, Any]:
    show_if = None
    if item.show_if is not None:
        equals = item.show_if.equals
        if isinstance(equals, Fraction):
            equals = fraction_to_json(equals)
        show_if = {"item": item.show_if.item, "equals": equals}
    return {
        "key": item.key,
        "text": item.text,
        "type": item.type,
        "weight": fraction_to_json(item.weight),
        "critical": item.critical,
        "na_allowed": item.na_allowed,
        "bonus": item.bonus,
        "requires_photo": item.requires_photo,
        "staff_only": item.staff_only,
        "scale_max": item.scale_max,
        "min_value": None if item.min_value is None else fraction_to_json(item.min_value),
        "max_value": None if item.max_value is None else fraction_to_json(item.max_value),
        "max_length": item.max_length,
        "options": [
            {"key": o.key, "label": o.label, "points": fraction_to_json(o.points)}
            for o in item.options
        ],
        "bands": [
            {
                "max": None if band.max is None else fraction_to_json(band.max),
                "points": fraction_to_json(band.points),
            }
            for band in item.bands
        ],
        "show_if": show_if,
    }


def is_scored(item: Item) -> bool:
    """Whether an answer to `item` can earn points: text, photo and band-less numbers cannot."""
    if item.type in UNSCORED_TYPES:
        return False
    return not (item.type == "number" and not item.bands)


def valid_value_error(item: Item, value: Any) -> str | None:
    """Why `value` is not a possible answer value of `item`, or None when it is.

    Shared by answer validation and by the check of show_if `equals`, so the two can never
    disagree about what a yes/no or a scale value is.
    """
    if item.type == "yes_no":
        return None if isinstance(value, bool) else "expected true or false"
    if item.type == "scale":
        top = item.scale_max or 0
        ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= top
        return None if ok else f"must be an integer from 1 to {top}"
    if item.type == "choice":
        keys = [option.key for option in item.options]
        if isinstance(value, str) and value in keys:
            return None
        return "must be one of " + ", ".join(repr(key) for key in keys)
    if item.type == "number":
        if not is_number(value):
            return "must be a finite number"
        low, high = item.number_range
        if not low <= value <= high:
            return f"must be from {fraction_to_json(low)} to {fraction_to_json(high)}"
        return None
    if item.type == "text":
        if not isinstance(value, str):
            return "must be text"
        if len(value) > item.text_max_length:
            return f"must be at most {item.text_max_length} characters"
        return None
    # photo: the picture itself is uploaded separately, the answer carries no value.
    return None if value is None else "a photo item takes no value; upload the photo instead"


@dataclass
class _ParsedItem:
    """What the first pass learnt about one item, for the show_if pass that follows."""

    path: str
    position: int
    item: Item
    show_if_raw: Any
    type_ok: bool


class _ChecklistParser:
    """Collects every error instead of stopping at the first; one instance per parse."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def parse(self, data: Any) -> Checklist:
        if not isinstance(data, Mapping):
            raise ChecklistError({ROOT_PATH: ["expected an object"]})
        title = self.text(data, "title", "title")
        pass_mark = self.number(data, "pass_mark", "pass_mark", DEFAULT_PASS_MARK)
        if not Fraction(0) <= pass_mark <= Fraction(100):
            self.error("pass_mark", "must be from 0 to 100")
        policy = data.get("critical_policy")
        if policy is None:
            policy = DEFAULT_CRITICAL_POLICY
        elif policy not in CRITICAL_POLICIES:
            self.error("critical_policy", "must be one of " + ", ".join(CRITICAL_POLICIES))
            policy = DEFAULT_CRITICAL_POLICY

        parsed_items: dict[str, _ParsedItem] = {}
        sections = self.sections(data.get("sections"), parsed_items)
        if len(parsed_items) > MAX_ITEMS:
            self.error("sections", f"a checklist has at most {MAX_ITEMS} items")
        self.check_show_ifs(parsed_items)
        if self.errors:
            raise ChecklistError(self.errors)
        final_items = {key: parsed.item for key, parsed in parsed_items.items()}
        sections = [
            Section(
                key=s.key,
                title=s.title,
                dimension=s.dimension,
                weight=s.weight,
                items=tuple(final_items[item.key] for item in s.items),
            )
            for s in sections
        ]
        return Checklist(
            title=title,
            sections=tuple(sections),
            pass_mark=pass_mark,
            critical_policy=policy,
        )

    # Field readers: each reports its own error and returns a usable stand-in so parsing goes on.

    def text(self, data: Mapping, name: str, path: str, max_length: int = LABEL_MAX_LENGTH) -> str:
        value = data.get(name)
        if value is None:
            self.error(path, "required")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.error(path, "must be a non-empty string")
            return ""
        if len(value) > max_length:
            self.error(path, f"must be at most {max_length} characters")
            return value[:max_length]
        return value

    def key(self, data: Mapping, path: str) -> str:
        """A section, item or option key: what answers and reports are keyed by."""
        return self.text(data, "key", path, max_length=KEY_MAX_LENGTH)

    def flag(self, data: Mapping, name: str, path: str) -> bool:
        value = data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.error(path, "must be true or false")
            return False
        return value

    def number(self, data: Mapping, name: str, path: str, default: Fraction | None) -> Fraction:
        value = data.get(name)
        if value is None:
            if default is None:
                self.error(path, "required")
                return Fraction(0)
            return default
        if not is_number(value):
            self.error(path, "must be a number")
            return default if default is not None else Fraction(0)
        return to_fraction(value)

    def points(self, data: Mapping, path: str) -> Fraction:
        points = self.number(data, "points", path, None)
        if not Fraction(0) <= points <= Fraction(1):
            self.error(path, "must be from 0 to 1")
        return points

    def list_of(self, value: Any, path: str, what: str) -> Sequence | None:
        if value is None:
            self.error(path, "required")
            return None
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            self.error(path, "must be a list")
            return None
        if not value:
            self.error(path, f"needs at least one {what}")
            return None
        if len(value) > MAX_ITEMS:
            self.error(path, f"at most {MAX_ITEMS} of them")
            return None
        return value

    # Structure.

    def sections(self, raw: Any, parsed_items: dict[str, _ParsedItem]) -> list[Section]:
        entries = self.list_of(raw, "sections", "section")
        if entries is None:
            return []
        sections: list[Section] = []
        seen: dict[str, str] = {}
        for index, entry in enumerate(entries):
            path = f"sections[{index}]"
            if not isinstance(entry, Mapping):
                self.error(path, "expected an object")
                continue
            key = self.key(entry, f"{path}.key")
            if key in seen:
                self.error(f"{path}.key", f"duplicate section key {key!r} (also {seen[key]})")
            elif key:
                seen[key] = path
            title = self.text(entry, "title", f"{path}.title")
            dimension = self.text(entry, "dimension", f"{path}.dimension")
            weight = None
            if entry.get("weight") is not None:
                weight = self.number(entry, "weight", f"{path}.weight", Fraction(1))
                if weight <= 0:
                    self.error(f"{path}.weight", "must be greater than 0")
            items = self.items(entry.get("items"), f"{path}.items", parsed_items)
            sections.append(
                Section(key=key, title=title, dimension=dimension, items=items, weight=weight)
            )
        return sections

    def items(self, raw: Any, path: str, parsed_items: dict[str, _ParsedItem]) -> tuple[Item, ...]:
        entries = self.list_of(raw, path, "item")
        if entries is None:
            return ()
        items: list[Item] = []
        for index, entry in enumerate(entries):
            item_path = f"{path}[{index}]"
            if not isinstance(entry, Mapping):
                self.error(item_path, "expected an object")
                continue
            parsed = self.item(entry, item_path, len(parsed_items))
            key = parsed.item.key
            if key in parsed_items:
                other = parsed_items[key].path
                self.error(f"{item_path}.key", f"duplicate item key {key!r} (also {other})")
            elif key:
                parsed_items[key] = parsed
            items.append(parsed.item)
        return tuple(items)

    def item(self, entry: Mapping, path: str, position: int) -> _ParsedItem:
        key = self.key(entry, f"{path}.key")
        text = self.text(entry, "text", f"{path}.text")
        item_type = entry.get("type")
        type_ok = item_type in ITEM_TYPES
        if item_type is None:
            self.error(f"{path}.type", "required")
        elif not type_ok:
            self.error(f"{path}.type", "must be one of " + ", ".join(ITEM_TYPES))
        weight = self.number(entry, "weight", f"{path}.weight", Fraction(1))
        if weight < 0:
            self.error(f"{path}.weight", "must not be negative")
        critical = self.flag(entry, "critical", f"{path}.critical")
        bonus = self.flag(entry, "bonus", f"{path}.bonus")
        requires_photo = self.flag(entry, "requires_photo", f"{path}.requires_photo")
        staff_only = self.flag(entry, "staff_only", f"{path}.staff_only")
        if staff_only and item_type != "photo" and not requires_photo:
            self.error(f"{path}.staff_only", "only an item that takes photos can be staff-only")
        item = Item(
            key=key,
            text=text,
            type=item_type if type_ok else "text",
            weight=weight,
            critical=critical,
            na_allowed=self.flag(entry, "na_allowed", f"{path}.na_allowed"),
            bonus=bonus,
            requires_photo=requires_photo,
            staff_only=staff_only,
            scale_max=self.scale_max(entry, path, item_type),
            **self.number_range(entry, path, item_type),
            max_length=self.max_length(entry, path, item_type),
            options=self.options(entry, path, item_type),
            bands=self.bands(entry, path, item_type),
        )
        if critical and type_ok:
            self.check_critical(item, path)
        return _ParsedItem(
            path=path,
            position=position,
            item=item,
            show_if_raw=entry.get("show_if"),
            type_ok=type_ok,
        )

    def check_critical(self, item: Item, path: str) -> None:
        if item.bonus:
            self.error(f"{path}.critical", "a bonus item cannot be critical")
        elif not is_scored(item):
            what = "a number item without bands" if item.type == "number" else f"a {item.type} item"
            self.error(f"{path}.critical", f"{what} earns no points, so it cannot be critical")
        elif item.weight == 0:
            self.error(f"{path}.critical", "a critical item needs a weight above 0")

    def scale_max(self, entry: Mapping, path: str, item_type: Any) -> int | None:
        value = entry.get("scale_max")
        if item_type != "scale":
            if value is not None:
                self.error(f"{path}.scale_max", "only scale items have a scale_max")
            return None
        if value is None:
            self.error(f"{path}.scale_max", "required for a scale item")
            return 2
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            self.error(f"{path}.scale_max", "must be an integer of at least 2")
            return 2
        return value

    def number_range(self, entry: Mapping, path: str, item_type: Any) -> dict[str, Fraction | None]:
        """`min_value` and `max_value` of a number item, within +-NUMBER_LIMIT, low <= high."""
        bounds: dict[str, Fraction | None] = {"min_value": None, "max_value": None}
        for name in bounds:
            if entry.get(name) is None:
                continue
            if item_type != "number":
                self.error(f"{path}.{name}", f"only number items have a {name}")
                continue
            value = self.number(entry, name, f"{path}.{name}", Fraction(0))
            if not -NUMBER_LIMIT <= value <= NUMBER_LIMIT:
                limit = fraction_to_json(NUMBER_LIMIT)
                self.error(f"{path}.{name}", f"must be from -{limit} to {limit}")
                continue
            bounds[name] = value
        low, high = bounds["min_value"], bounds["max_value"]
        if item_type == "number":
            default_low, default_high = DEFAULT_NUMBER_MIN, DEFAULT_NUMBER_MAX
            if (low if low is not None else default_low) > (
                high if high is not None else default_high
            ):
                self.error(f"{path}.max_value", "must not be below min_value")
        return bounds

    def max_length(self, entry: Mapping, path: str, item_type: Any) -> int | None:
        value = entry.get("max_length")
        if value is None:
            return None
        if item_type != "text":
            self.error(f"{path}.max_length", "only text items have a max_length")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(f"{path}.max_length", "must be an integer")
            return None
        if not 1 <= value <= TEXT_MAX_LENGTH_LIMIT:
            self.error(f"{path}.max_length", f"must be from 1 to {TEXT_MAX_LENGTH_LIMIT}")
            return None
        return value

    def options(self, entry: Mapping, path: str, item_type: Any) -> tuple[Option, ...]:
        raw = entry.get("options")
        if item_type != "choice":
            if raw:
                self.error(f"{path}.options", "only choice items have options")
            return ()
        entries = self.list_of(raw, f"{path}.options", "option")
        if entries is None:
            return ()
        options: list[Option] = []
        seen: set[str] = set()
        for index, option in enumerate(entries):
            option_path = f"{path}.options[{index}]"
            if not isinstance(option, Mapping):
                self.error(option_path, "expected an object")
                continue
            key = self.key(option, f"{option_path}.key")
            if key in seen:
                self.error(f"{option_path}.key", f"duplicate option key {key!r}")
            seen.add(key)
            label = self.text(option, "label", f"{option_path}.label")
            points = self.points(option, f"{option_path}.points")
            options.append(Option(key=key, label=label, points=points))
        return tuple(options)

    def bands(self, entry: Mapping, path: str, item_type: Any) -> tuple[Band, ...]:
        raw = entry.get("bands")
        if not raw:
            return ()
        if item_type != "number":
            self.error(f"{path}.bands", "only number items have bands")
            return ()
        entries = self.list_of(raw, f"{path}.bands", "band")
        if entries is None:
            return ()
        bands: list[Band] = []
        previous: Fraction | None = None
        for index, band in enumerate(entries):
            band_path = f"{path}.bands[{index}]"
            if not isinstance(band, Mapping):
                self.error(band_path, "expected an object")
                continue
            upper: Fraction | None = None
            if band.get("max") is None:
                if index != len(entries) - 1:
                    self.error(f"{band_path}.max", "only the last band may have no upper bound")
            else:
                upper = self.number(band, "max", f"{band_path}.max", None)
                if previous is not None and upper <= previous:
                    self.error(f"{band_path}.max", "band maxima must be in ascending order")
                previous = upper
            bands.append(Band(max=upper, points=self.points(band, f"{band_path}.points")))
        return tuple(bands)

    def check_show_ifs(self, parsed_items: dict[str, _ParsedItem]) -> None:
        """Second pass: show_if may only point to an earlier item, with a value it can take."""
        for parsed in parsed_items.values():
            raw = parsed.show_if_raw
            if raw is None:
                continue
            path = f"{parsed.path}.show_if"
            if not isinstance(raw, Mapping):
                self.error(path, "expected an object with item and equals")
                continue
            target_key = raw.get("item")
            if not isinstance(target_key, str) or not target_key:
                self.error(f"{path}.item", "must be the key of an earlier item")
                continue
            if "equals" not in raw:
                self.error(f"{path}.equals", "required")
            target = parsed_items.get(target_key)
            if target_key == parsed.item.key:
                self.error(f"{path}.item", "an item cannot depend on itself")
                continue
            if target is None:
                self.error(f"{path}.item", f"unknown item {target_key!r}")
                continue
            if target.position > parsed.position:
                self.error(
                    f"{path}.item", f"must refer to an earlier item; {target_key!r} is later"
                )
                continue
            if not target.type_ok or "equals" not in raw:
                continue
            equals = raw["equals"]
            if target.item.type == "photo":
                self.error(f"{path}.item", "cannot depend on a photo item, which has no value")
                continue
            problem = valid_value_error(target.item, equals)
            if problem is not None:
                self.error(f"{path}.equals", f"not a possible answer to {target_key!r}: {problem}")
                continue
            if target.item.type == "number":
                equals = to_fraction(equals)
            parsed.item = replace(parsed.item, show_if=ShowIf(item=target_key, equals=equals))
