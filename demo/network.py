"""The demo brand's network, planned in memory before anything is written.

A coffee-house chain across Europe: regions of real cities (so time zones and coordinates are
plausible), franchisees that mostly operate within one region, and branches with a hidden
"true quality" that the simulated audits are drawn from. Nothing here touches the database.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

# (region, [(city, latitude, longitude, IANA time zone, country code), ...])
REGIONS: tuple[tuple[str, tuple[tuple[str, float, float, str, str], ...]], ...] = (
    (
        "UK North",
        (
            ("Leeds", 53.7997, -1.5492, "Europe/London", "GB"),
            ("Manchester", 53.4808, -2.2426, "Europe/London", "GB"),
            ("York", 53.9600, -1.0873, "Europe/London", "GB"),
            ("Newcastle", 54.9783, -1.6178, "Europe/London", "GB"),
            ("Sheffield", 53.3811, -1.4701, "Europe/London", "GB"),
            ("Liverpool", 53.4084, -2.9916, "Europe/London", "GB"),
            ("Edinburgh", 55.9533, -3.1883, "Europe/London", "GB"),
            ("Glasgow", 55.8642, -4.2518, "Europe/London", "GB"),
        ),
    ),
    (
        "UK South",
        (
            ("London", 51.5072, -0.1276, "Europe/London", "GB"),
            ("Brighton", 50.8225, -0.1372, "Europe/London", "GB"),
            ("Bristol", 51.4545, -2.5879, "Europe/London", "GB"),
            ("Oxford", 51.7520, -1.2577, "Europe/London", "GB"),
            ("Cambridge", 52.2053, 0.1218, "Europe/London", "GB"),
            ("Bath", 51.3811, -2.3590, "Europe/London", "GB"),
            ("Southampton", 50.9097, -1.4044, "Europe/London", "GB"),
            ("Reading", 51.4543, -0.9781, "Europe/London", "GB"),
        ),
    ),
    (
        "Ireland",
        (
            ("Dublin", 53.3498, -6.2603, "Europe/Dublin", "IE"),
            ("Cork", 51.8985, -8.4756, "Europe/Dublin", "IE"),
            ("Galway", 53.2707, -9.0568, "Europe/Dublin", "IE"),
            ("Limerick", 52.6638, -8.6267, "Europe/Dublin", "IE"),
            ("Belfast", 54.5973, -5.9301, "Europe/London", "GB"),
        ),
    ),
    (
        "Benelux",
        (
            ("Amsterdam", 52.3676, 4.9041, "Europe/Amsterdam", "NL"),
            ("Rotterdam", 51.9244, 4.4777, "Europe/Amsterdam", "NL"),
            ("Utrecht", 52.0907, 5.1214, "Europe/Amsterdam", "NL"),
            ("The Hague", 52.0705, 4.3007, "Europe/Amsterdam", "NL"),
            ("Brussels", 50.8503, 4.3517, "Europe/Brussels", "BE"),
            ("Antwerp", 51.2194, 4.4025, "Europe/Brussels", "BE"),
            ("Ghent", 51.0543, 3.7174, "Europe/Brussels", "BE"),
            ("Luxembourg", 49.6116, 6.1319, "Europe/Luxembourg", "LU"),
        ),
    ),
    (
        "Nordics",
        (
            ("Copenhagen", 55.6761, 12.5683, "Europe/Copenhagen", "DK"),
            ("Stockholm", 59.3293, 18.0686, "Europe/Stockholm", "SE"),
            ("Gothenburg", 57.7089, 11.9746, "Europe/Stockholm", "SE"),
            ("Oslo", 59.9139, 10.7522, "Europe/Oslo", "NO"),
            ("Helsinki", 60.1699, 24.9384, "Europe/Helsinki", "FI"),
            ("Aarhus", 56.1629, 10.2039, "Europe/Copenhagen", "DK"),
        ),
    ),
    (
        "France",
        (
            ("Paris", 48.8566, 2.3522, "Europe/Paris", "FR"),
            ("Lyon", 45.7640, 4.8357, "Europe/Paris", "FR"),
            ("Lille", 50.6292, 3.0573, "Europe/Paris", "FR"),
            ("Bordeaux", 44.8378, -0.5792, "Europe/Paris", "FR"),
            ("Nantes", 47.2184, -1.5536, "Europe/Paris", "FR"),
            ("Marseille", 43.2965, 5.3698, "Europe/Paris", "FR"),
        ),
    ),
    (
        "Iberia",
        (
            ("Madrid", 40.4168, -3.7038, "Europe/Madrid", "ES"),
            ("Barcelona", 41.3874, 2.1686, "Europe/Madrid", "ES"),
            ("Valencia", 39.4699, -0.3763, "Europe/Madrid", "ES"),
            ("Seville", 37.3891, -5.9845, "Europe/Madrid", "ES"),
            ("Lisbon", 38.7223, -9.1393, "Europe/Lisbon", "PT"),
            ("Porto", 41.1579, -8.6291, "Europe/Lisbon", "PT"),
        ),
    ),
    (
        "DACH",
        (
            ("Berlin", 52.5200, 13.4050, "Europe/Berlin", "DE"),
            ("Munich", 48.1351, 11.5820, "Europe/Berlin", "DE"),
            ("Hamburg", 53.5511, 9.9937, "Europe/Berlin", "DE"),
            ("Cologne", 50.9375, 6.9603, "Europe/Berlin", "DE"),
            ("Vienna", 48.2082, 16.3738, "Europe/Vienna", "AT"),
            ("Zurich", 47.3769, 8.5417, "Europe/Zurich", "CH"),
        ),
    ),
    (
        "Italy",
        (
            ("Milan", 45.4642, 9.1900, "Europe/Rome", "IT"),
            ("Rome", 41.9028, 12.4964, "Europe/Rome", "IT"),
            ("Turin", 45.0703, 7.6869, "Europe/Rome", "IT"),
            ("Bologna", 44.4949, 11.3426, "Europe/Rome", "IT"),
            ("Florence", 43.7696, 11.2558, "Europe/Rome", "IT"),
        ),
    ),
    (
        "Central Europe",
        (
            ("Prague", 50.0755, 14.4378, "Europe/Prague", "CZ"),
            ("Warsaw", 52.2297, 21.0122, "Europe/Warsaw", "PL"),
            ("Krakow", 50.0647, 19.9450, "Europe/Warsaw", "PL"),
            ("Budapest", 47.4979, 19.0402, "Europe/Budapest", "HU"),
            ("Bratislava", 48.1486, 17.1077, "Europe/Bratislava", "SK"),
        ),
    ),
)

# Where in town a branch is; combined with the city it names the branch ("Leeds Station").
PLACES = (
    "Station",
    "High Street",
    "Market Square",
    "Riverside",
    "Old Town",
    "Central",
    "Harbour",
    "University",
    "Park Gate",
    "Airport",
    "Arcade",
    "Cathedral",
    "Docks",
    "North End",
    "West Quay",
    "Museum Quarter",
)

STREETS = {
    "GB": ("Station Road", "High Street", "Market Street", "Church Lane", "Bridge Street"),
    "IE": ("Main Street", "Quay Street", "Shop Street", "Castle Street", "Dame Street"),
    "NL": ("Stationsplein", "Hoogstraat", "Marktplein", "Kerkstraat", "Havenkade"),
    "BE": ("Rue Neuve", "Meir", "Korenmarkt", "Grand-Place", "Stationsstraat"),
    "LU": ("Grand-Rue", "Rue du Marché", "Avenue de la Gare"),
    "DK": ("Strøget", "Vesterbrogade", "Nørregade"),
    "SE": ("Drottninggatan", "Kungsgatan", "Storgatan"),
    "NO": ("Karl Johans gate", "Storgata", "Torggata"),
    "FI": ("Aleksanterinkatu", "Mannerheimintie", "Esplanadi"),
    "FR": ("Rue de la République", "Place de la Gare", "Rue du Marché", "Quai des Arts"),
    "ES": ("Calle Mayor", "Gran Vía", "Plaza del Mercado", "Calle de la Estación"),
    "PT": ("Rua Augusta", "Rua de Santa Catarina", "Praça da Estação"),
    "DE": ("Bahnhofstraße", "Hauptstraße", "Marktplatz", "Schillerstraße"),
    "AT": ("Kärntner Straße", "Mariahilfer Straße", "Graben"),
    "CH": ("Bahnhofstrasse", "Niederdorfstrasse", "Marktgasse"),
    "IT": ("Via Roma", "Corso Italia", "Piazza del Mercato", "Via Garibaldi"),
    "CZ": ("Národní", "Na Příkopě", "Václavské náměstí"),
    "PL": ("Nowy Świat", "Floriańska", "Marszałkowska"),
    "HU": ("Váci utca", "Andrássy út", "Király utca"),
    "SK": ("Obchodná", "Michalská", "Hlavné námestie"),
}

SURNAMES = (
    "Alder", "Birch", "Cedar", "Rowan", "Hazel", "Ashby", "Marlow", "Penrose", "Whitlock",
    "Fairbairn", "Okafor", "Novak", "Jansen", "Moreau", "Rossi", "García", "Lindqvist",
    "Kowalski", "Murphy", "Byrne", "Schmidt", "Dubois", "De Vries", "Peeters", "Silva",
    "Horvath", "Nielsen", "Berg", "Conti", "Fischer", "Kaur", "Patel", "Quinn", "Sato",
)  # fmt: skip
FIRST_NAMES = (
    "Alex", "Sam", "Jordan", "Maya", "Priya", "Tom", "Lena", "Jonas", "Sofia", "Luca",
    "Amara", "Noah", "Iris", "Omar", "Freya", "Mateo", "Eva", "Kai", "Nora", "Ravi",
    "Chloé", "Finn", "Ines", "Hugo", "Zofia", "Emil", "Aoife", "Lars", "Marta", "Theo",
)  # fmt: skip
COMPANY_FORMS = (
    "Hospitality Ltd",
    "Foods",
    "Coffee Co.",
    "& Daughters",
    "Group",
    "Cafés",
    "Holdings",
    "& Partners",
)

# How spread out the hidden qualities are, on the logit scale of a single item.
REGION_SPREAD = 0.15
FRANCHISEE_SPREAD = 0.35
BRANCH_SPREAD = 0.55
DIMENSION_SPREAD = 0.30
TREND_SPREAD = 0.05  # per month: some branches improve, some slide
LENIENCY_SPREAD = 0.35


@dataclass
class RegionPlan:
    name: str
    cities: tuple[tuple[str, float, float, str, str], ...]
    effect: float


@dataclass
class FranchiseePlan:
    name: str
    region: int
    effect: float


@dataclass
class BranchPlan:
    name: str
    franchisee: int
    region: int
    address: str
    latitude: float
    longitude: float
    timezone: str
    country: str
    quality: float  # the true level on the logit scale, before the trend
    trend: float  # change per month
    dimension_effects: dict[str, float]
    visits_per_month: float


@dataclass
class ShopperPlan:
    username: str
    first_name: str
    last_name: str
    leniency: float  # > 0 grades softer, < 0 harder
    regions: tuple[int, ...]


@dataclass
class NetworkPlan:
    regions: list[RegionPlan]
    franchisees: list[FranchiseePlan]
    branches: list[BranchPlan]
    shoppers: list[ShopperPlan]
    owner_franchisee: int = 0
    branches_by_region: dict[int, list[int]] = field(default_factory=dict)
    shoppers_by_region: dict[int, list[int]] = field(default_factory=dict)


def region_count(branches: int) -> int:
    """4 regions for a demo-sized network, more (up to all of REGIONS) for large ones."""
    return max(1, min(len(REGIONS), max(4, branches // 60), branches))


def franchisee_count(branches: int) -> int:
    """About three branches per franchisee (8 for the default 24), two or more from 3 branches."""
    if branches < 3:
        return 1
    return max(2, round(branches / 3))


def plan_network(
    rng: random.Random,
    *,
    branches: int,
    shoppers: int,
    dimensions: tuple[str, ...],
    visits_per_month: float,
    shopper_username: str = "shopper",
) -> NetworkPlan:
    """Regions, franchisees, branches and shoppers with their hidden traits.

    Franchisee 0 belongs to the `owner` login and gets min(3, branches) branches, so the owner
    sees a handful. Shopper 0 is the `shopper` login; the others are `shopper-0002`, ...
    """
    regions = [
        RegionPlan(name, cities, rng.gauss(0, REGION_SPREAD))
        for name, cities in REGIONS[: region_count(branches)]
    ]
    franchisees = _plan_franchisees(rng, len(regions), franchisee_count(branches))
    sizes = _franchisee_sizes(rng, branches, len(franchisees))
    plan_branches: list[BranchPlan] = []
    used_names: set[str] = set()
    for franchisee_index, size in enumerate(sizes):
        franchisee = franchisees[franchisee_index]
        for _ in range(size):
            # Franchisees mostly stay in their home region; a few have outposts elsewhere.
            region_index = franchisee.region if rng.random() < 0.85 else rng.randrange(len(regions))
            plan_branches.append(
                _plan_branch(
                    rng,
                    regions[region_index],
                    region_index,
                    franchisee_index,
                    franchisee.effect,
                    dimensions,
                    visits_per_month,
                    used_names,
                )
            )
    plan_shoppers = _plan_shoppers(rng, shoppers, len(regions), shopper_username)
    plan = NetworkPlan(
        regions=regions,
        franchisees=franchisees,
        branches=plan_branches,
        shoppers=plan_shoppers,
        owner_franchisee=0,
    )
    for index, branch in enumerate(plan_branches):
        plan.branches_by_region.setdefault(branch.region, []).append(index)
    for index, shopper in enumerate(plan_shoppers):
        for region in shopper.regions:
            plan.shoppers_by_region.setdefault(region, []).append(index)
    return plan


def _plan_franchisees(rng: random.Random, regions: int, count: int) -> list[FranchiseePlan]:
    names: set[str] = set()
    plans = []
    for index in range(count):
        name = _unique(names, lambda: f"{rng.choice(SURNAMES)} {rng.choice(COMPANY_FORMS)}")
        plans.append(FranchiseePlan(name, index % regions, rng.gauss(0, FRANCHISEE_SPREAD)))
    return plans


def _franchisee_sizes(rng: random.Random, branches: int, franchisees: int) -> list[int]:
    """Branches per franchisee: the owner's gets up to 3, the rest at least one each.

    A few franchisees are big multi-unit operators, most have one to four branches.
    """
    sizes = [0] * franchisees
    sizes[0] = max(1, min(3, branches - (franchisees - 1)))
    left = branches - sizes[0]
    others = list(range(1, franchisees))
    if not others:
        sizes[0] += left
        return sizes
    for index in others:  # everyone else gets at least one, while branches last
        if left == 0:
            break
        sizes[index] += 1
        left -= 1
    weights = [rng.paretovariate(1.5) for _ in others]
    for _ in range(left):
        sizes[rng.choices(others, weights)[0]] += 1
    return sizes


def _plan_branch(
    rng: random.Random,
    region: RegionPlan,
    region_index: int,
    franchisee_index: int,
    franchisee_effect: float,
    dimensions: tuple[str, ...],
    visits_per_month: float,
    used_names: set[str],
) -> BranchPlan:
    city, lat, lon, tz, country = rng.choice(region.cities)
    name = _unique(used_names, lambda: f"{city} {rng.choice(PLACES)}")
    # Up to ~4 km from the centre: 1 degree of latitude is ~111 km.
    distance_km = 4 * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    latitude = lat + distance_km / 111.0 * math.cos(bearing)
    longitude = lon + distance_km / (111.0 * math.cos(math.radians(lat))) * math.sin(bearing)
    street = rng.choice(STREETS[country])
    number = rng.randint(1, 180)
    address = (
        f"{number} {street}, {city}" if country in ("GB", "IE") else f"{street} {number}, {city}"
    )
    return BranchPlan(
        name=name,
        franchisee=franchisee_index,
        region=region_index,
        address=address,
        latitude=round(latitude, 6),
        longitude=round(longitude, 6),
        timezone=tz,
        country=country,
        quality=region.effect + franchisee_effect + rng.gauss(0, BRANCH_SPREAD),
        trend=rng.gauss(0, TREND_SPREAD),
        dimension_effects={d: rng.gauss(0, DIMENSION_SPREAD) for d in dimensions},
        # Busy branches get visited more often; the mean stays at `visits_per_month`.
        visits_per_month=visits_per_month * rng.uniform(0.6, 1.4),
    )


def _plan_shoppers(
    rng: random.Random, count: int, regions: int, shopper_username: str
) -> list[ShopperPlan]:
    width = max(4, len(str(count)))
    plans = []
    for index in range(count):
        username = shopper_username if index == 0 else f"{shopper_username}-{index + 1:0{width}d}"
        home = index % regions
        covered = [home]
        if regions > 1 and rng.random() < 0.35:  # some travel to a neighbouring region
            covered.append((home + 1) % regions)
        plans.append(
            ShopperPlan(
                username=username,
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(SURNAMES),
                leniency=rng.gauss(0, LENIENCY_SPREAD),
                regions=tuple(covered),
            )
        )
    return plans


def _unique(used: set[str], make) -> str:
    """A name from `make()` not used yet; numbered ("... 2") once the combinations run out."""
    for _ in range(20):
        name = make()
        if name not in used:
            used.add(name)
            return name
    base = make()
    number = 2
    while f"{base} {number}" in used:
        number += 1
    name = f"{base} {number}"
    used.add(name)
    return name
