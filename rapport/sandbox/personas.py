"""The persona engine: what simulated customers say, when, and how they take the brand's replies.

Pure Python (no Django, no database): a scenario file (TOML, see
`scenarios/cafe.toml`) and a seed go in, plans come out. The same scenario,
seed and step always give the same plan, so a training run can be replayed.
`rapport.sandbox.services` turns plans into statuses.

Personas: troll, angry, misguided, unhappy, complimentary, advocate.
Kinds: review, ugc (user-generated content), question, complaint, praise.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import struct
import tomllib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PERSONAS = ("troll", "angry", "misguided", "unhappy", "complimentary", "advocate")
KINDS = ("review", "ugc", "question", "complaint", "praise")
SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
MAX_POSTS_PER_STEP = 60


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with the reason."""


# --- Scenario -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    name: str
    category: str
    good: tuple[str, ...]
    bad: tuple[str, ...]


@dataclass(frozen=True)
class Service:
    name: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Issue:
    key: str
    about: str
    complaint: tuple[str, ...]
    question: tuple[str, ...]


@dataclass(frozen=True)
class ScenarioEvent:
    kind: str  # "launch" or "crisis"
    title: str
    at_hour: float
    hours: float
    rate: float
    mix: Mapping[str, float]
    product: str = ""
    issue: str = ""

    def active(self, hours_in: float) -> bool:
        return self.at_hour <= hours_in < self.at_hour + self.hours


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    brand_username: str
    brand_display_name: str
    brand_bio: str
    hashtags: tuple[str, ...]
    shop: str
    speed: float
    start: dt.datetime
    posts_per_hour: float
    open_hours: tuple[int, int]
    night_factor: float
    customers: int
    quick_reply_minutes: float
    patience_minutes: tuple[float, float]
    personas: Mapping[str, float]
    kinds: Mapping[str, float]
    staff: tuple[str, ...]
    products: tuple[Product, ...]
    services: tuple[Service, ...]
    issues: tuple[Issue, ...]
    events: tuple[ScenarioEvent, ...] = field(default=())

    def issue(self, key: str) -> Issue:
        for issue in self.issues:
            if issue.key == key:
                return issue
        raise ScenarioError(f"No issue {key!r} in scenario {self.name!r}.")


def load_scenario(name_or_path: str | Path = "cafe") -> Scenario:
    """Read a scenario by name (from `scenarios/`) or from a TOML file path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        if not str(name_or_path).replace("_", "").replace("-", "").isalnum():
            raise ScenarioError(f"Unknown scenario {name_or_path!r}.")
        path = SCENARIO_DIR / f"{name_or_path}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"No scenario file at {path}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path.name}: {exc}") from None
    try:
        return _scenario(data)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ScenarioError(f"{path.name}: missing or bad value ({exc}).") from None


def _scenario(data: Mapping[str, Any]) -> Scenario:
    meta, brand, clock = data["scenario"], data["brand"], data["clock"]
    reactions = data.get("reactions", {})
    personas = {k: float(v) for k, v in data["personas"].items()}
    kinds = {k: float(v) for k, v in data["kinds"].items()}
    if unknown := set(personas) - set(PERSONAS):
        raise ScenarioError(f"Unknown personas: {', '.join(sorted(unknown))}.")
    if unknown := set(kinds) - set(KINDS):
        raise ScenarioError(f"Unknown kinds: {', '.join(sorted(unknown))}.")
    start = dt.datetime.fromisoformat(str(clock.get("start", "2025-01-01T08:00:00+00:00")))
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.UTC)
    scenario = Scenario(
        name=str(meta["name"]),
        title=str(meta.get("title", meta["name"])),
        description=str(meta.get("description", "")).strip(),
        brand_username=str(brand["username"]),
        brand_display_name=str(brand.get("display_name", brand["username"])),
        brand_bio=str(brand.get("bio", "")),
        hashtags=tuple(str(tag) for tag in brand.get("hashtags", [])),
        shop=str(brand.get("shop", "the shop")),
        speed=float(clock.get("speed", 20.0)),
        start=start,
        posts_per_hour=float(clock.get("posts_per_hour", 4.0)),
        open_hours=(int(clock.get("open_hours", [8, 18])[0]), int(clock.get("open_hours")[1])),
        night_factor=float(clock.get("night_factor", 0.3)),
        customers=int(clock.get("customers", 30)),
        quick_reply_minutes=float(reactions.get("quick_reply_minutes", 60)),
        patience_minutes=(
            float(reactions.get("patience_minutes", [90, 360])[0]),
            float(reactions.get("patience_minutes", [90, 360])[1]),
        ),
        personas=personas,
        kinds=kinds,
        staff=tuple(data.get("staff", {}).get("names", ["the team"])),
        products=tuple(
            Product(
                name=str(p["name"]),
                category=str(p.get("category", "")),
                good=tuple(p.get("good", ["lovely"])),
                bad=tuple(p.get("bad", ["not great"])),
            )
            for p in data["products"]
        ),
        services=tuple(
            Service(name=str(s["name"]), words=tuple(s.get("words", [s["name"]])))
            for s in data.get("services", [])
        ),
        issues=tuple(
            Issue(
                key=str(i["key"]),
                about=str(i.get("about", "")),
                complaint=tuple(i["complaint"]),
                question=tuple(i.get("question", [])),
            )
            for i in data["issues"]
        ),
        events=tuple(
            ScenarioEvent(
                kind=str(e["kind"]),
                title=str(e.get("title", e["kind"])),
                at_hour=float(e["at_hour"]),
                hours=float(e["hours"]),
                rate=float(e.get("rate", 1.0)),
                mix={k: float(v) for k, v in e.get("mix", {}).items()},
                product=str(e.get("product", "")),
                issue=str(e.get("issue", "")),
            )
            for e in data.get("events", [])
        ),
    )
    if scenario.speed <= 0 or scenario.posts_per_hour < 0 or scenario.customers < 1:
        raise ScenarioError("speed, posts_per_hour and customers must be positive.")
    for event in scenario.events:
        if event.kind not in ("launch", "crisis"):
            raise ScenarioError(f"Unknown event kind {event.kind!r} (launch or crisis).")
        if event.issue:
            scenario.issue(event.issue)
    return scenario


# --- Words -------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Maya", "Tom", "Aisha", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isla",
    "Jack", "Kemi", "Leo", "Mei", "Noah", "Olivia", "Priya", "Quinn", "Rory", "Sofia", "Theo",
    "Uma", "Vik", "Wren", "Yusuf", "Zara", "Amir", "Beth", "Cal", "Dani", "Eli", "Freya", "Gus",
    "Hana", "Iris", "Jonah", "Kira", "Luca", "Niamh",
)  # fmt: skip
LAST_NAMES = (
    "Okafor", "Patel", "Nowak", "Byrne", "Hughes", "Khan", "Silva", "Murphy", "Jensen", "Ali",
    "Walsh", "Kowalski", "Mensah", "Evans", "Reid", "Chen", "Doyle", "Fraser", "Haddad", "Ito",
    "Lopez", "Moreau", "Novak", "Owens", "Price", "Quinn", "Rossi", "Shah", "Turner", "Varga",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

OPENERS = {
    "troll": ["lol", "imagine paying for this.", "yikes.", "not again.", "sure, jan.", ""],
    "angry": [
        "Absolutely fuming.",
        "Unbelievable.",
        "Seriously?",
        "This is the last straw.",
        "Not impressed AT ALL.",
        "Third time now.",
    ],
    "misguided": [
        "Quick question!",
        "Hi!",
        "Hoping someone can help:",
        "Sorry if this is a silly question but",
        "Hello hello,",
        "",
    ],
    "unhappy": [
        "Bit disappointed today.",
        "Not a great experience,",
        "Hmm.",
        "Sad to say it,",
        "Usually love you but",
        "",
    ],
    "complimentary": ["Just have to say,", "Honestly,", "Have to say,", "Genuinely,", "", ""],
    "advocate": ["PSA:", "Reminder:", "Told you all:", "Converted another friend!", "", ""],
}
CLOSERS = {
    "troll": ["🤡", "ratio.", "cope.", "lmao", "bet this gets deleted", ""],
    "angry": ["Sort it out.", "I want a refund.", "Never again.", "Answer me.", "Ridiculous.", ""],
    "misguided": ["Thanks in advance!", "Confused 😅", "??", "Cheers!", ""],
    "unhappy": [
        "Hope it's a one-off.",
        "Can someone look into it?",
        "Would appreciate a reply.",
        "",
    ],
    "complimentary": ["Thank you!", "❤️", "☕✨", "Keep it up!", "", "Made my week."],
    "advocate": ["You won't regret it.", "Best in town, fight me.", "#supportlocal", "Go!", ""],
}
PRAISE = [
    "the {product} today was {good}.",
    "{staff} at {shop} remembered my order and made my morning.",
    "{service_words} arrived a day early and the beans smell incredible.",
    "{shop} on a rainy {weekday} with a {drink} is the best thing in this town.",
    "your {product} is {good}. Every single time.",
]
ADVOCACY = [
    "if you haven't had the {product} at {shop} yet, what are you doing?",
    "been telling everyone at work about {brand_name}. The {product} is {good}.",
    "the {product} is {good} and {staff} is the nicest barista alive.",
    "switched my whole office to the {product}. No regrets.",
]
UGC = [
    "Latte art attempt no. {n} at home with the {product} from {brand_name}",
    "{weekday} morning sorted: {drink} and a cardamom bun from {shop}",
    "My V60 setup, starring the {product} from {brand_name}",
    "Window seat at {shop}, {product}, good book. Perfect {weekday}",
    "Unboxing this month's {product} from {brand_name}. The bag alone is gorgeous",
]
QUESTIONS = [
    "what time does {shop} open on {weekday}?",
    "do you do decaf in the {drink}?",
    "is {service_words} available outside the city?",
    "can I bring my dog into {shop}?",
    "are the cardamom buns vegan?",
    "do you sell gift cards for {service_words}?",
    "is there parking near {shop}?",
]
MISGUIDED = [
    "is the {drink} the same as a latte? Mine was tiny??",
    "I thought {service_words} was free for the first year?",
    "your website says you're closed but I'm outside {shop} and the lights are on?",
    "do you deliver hot coffee to houses? I'm only 10 minutes away",
    "why was I charged shipping on {service_words}? I collected it myself (I think)",
    "can I pay for {service_words} with my loyalty stamps?",
]
TROLL = [
    "{brand_name} tastes like puddle water",
    "overpriced bean water for people who own three gilets",
    "who actually pays four quid for a {drink}",
    "your baristas couldn't make instant",
    "{brand_name} is a cult and I'm the only one who sees it",
    "'artisan' is doing a lot of work in your bio",
]
REVIEW_GOOD = [
    "{stars} {product} from {brand_name}: {good}. {extra}",
    "Review: {product}. {stars}. {good_cap}, and {staff} was lovely.",
    "{stars} for {shop}. The {product} was {good}, cosy seats, fair prices.",
]
REVIEW_BAD = [
    "{stars} {product} from {brand_name}: {bad}. {extra}",
    "Review: {shop}. {stars}. The {product} was {bad} and it took ages.",
    "{stars} Expected more. The {product} was {bad}.",
]
REVIEW_EXTRA = [
    "Would order again.",
    "Not cheap though.",
    "Go early, it gets busy.",
    "The packaging is lovely too.",
    "",
]

REVIEW_EXTRA_BAD = [
    "Won't be rushing back.",
    "Shame, it used to be great.",
    "Staff were nice at least.",
    "",
]

REACTIONS = {
    "calmed": [
        "Okay, thanks for getting back so quickly. DM sent.",
        "Appreciate that, thank you. Fingers crossed it's sorted.",
        "Thanks, that's all I wanted to hear.",
        "Fair enough, thanks for sorting it so fast.",
        "Thank you. Didn't expect such a quick answer, to be honest.",
    ],
    "partly": [
        "Thanks. Still want to know how you'll fix it though.",
        "Okay. I'll wait and see.",
        "Thanks for replying. Let's see if it actually gets sorted.",
    ],
    "slow": [
        "Took you long enough.",
        "{hours} hours for a reply? Still not sorted.",
        "Bit late now, isn't it.",
    ],
    "curt": [
        "That doesn't answer anything.",
        "So... no apology then?",
        "A copy-paste answer. Great. Really helpful.",
        "Not good enough, sorry.",
    ],
    "escalated": [
        "Right, I'm telling everyone. Don't order from @{brand}.",
        "Escalating this. Shocking service from @{brand}, avoid.",
        "Still nothing sorted by @{brand}. Leaving a review everywhere I can.",
    ],
    "troll_fed": [
        "lol they replied 🤡 @{brand} imagine having a social team and still serving bean water",
        "oh the corporate voice is out. stay mad @{brand}",
        "aww did I hurt your feelings @{brand}",
        "@{brand} 'we value your feedback' lmaooo",
    ],
    "helped": [
        "Ahh that makes sense now, thank you!",
        "Oh! My mistake, sorry. Thanks for explaining 😅",
        "Perfect, thank you, that's really helpful.",
    ],
    "confused": [
        "Sorry, still confused. So is it a yes or a no?",
        "Hmm, I don't think that answers my question?",
    ],
    "thanked": [
        "Aw thanks! See you tomorrow ☕",
        "❤️ you lot are the best",
        "Always! Bringing the whole office next week 🙌",
        "Thank YOU. Keep doing what you do.",
    ],
}
CHASERS = {
    "angry": [
        "Still no reply from @{brand}. {hours} hours and counting.",
        "@{brand} are you ignoring me? Still waiting.",
        "Hello?? @{brand} I'm still waiting for an answer.",
    ],
    "unhappy": ["@{brand} any update?", "@{brand} just following up on this."],
    "misguided": ["@{brand} hello? 🙋", "Anyone there @{brand}? Still not sure about this"],
}
ME_TOO = [
    "Same here! @{brand} what's going on?",
    "Happened to me too this morning. @{brand}?",
    "+1, exactly the same. @{brand} please sort this",
    "Glad it's not just me. @{brand} any news?",
]

_EMPATHY = ("sorry", "apolog", "understand", "frustrat", "thank", "appreciate", "hear that")
_ACTION = (
    "refund",
    "replace",
    "fix",
    "look into",
    "looking into",
    "dm",
    "send",
    "arrange",
    "sort",
    "check",
    "email",
    "resend",
    "credit",
)
_HELPFUL = ("you can", "here's", "here is", "link", "http", "open", "yes", "we do", "it's")
_DISMISSIVE = (
    "calm down",
    "not our fault",
    "nothing we can do",
    "per our policy",
    "as per policy",
    "read the faq",
    "you should have",
)


# --- Plans -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastMember:
    username: str
    display_name: str
    persona: str
    bio: str
    follows_brand: bool
    patience_minutes: float


@dataclass(frozen=True)
class PlannedPost:
    """One thing a simulated customer will post during a step."""

    author: int  # index into the cast
    kind: str
    text: str
    visibility: str = "public"  # or "direct"
    issue: str = ""
    reply_to_issue: str = ""  # reply under a recent post on this issue ("me too")
    with_photo: bool = False
    offset_seconds: float = 0.0  # when, within the step


@dataclass(frozen=True)
class ReplyQuality:
    empathetic: bool
    acts: bool
    helpful: bool
    dismissive: bool
    quick: bool


@dataclass(frozen=True)
class Reaction:
    outcome: str  # calmed, partly, slow, curt, escalated, troll_fed, helped, confused, thanked
    text: str
    mood_delta: int
    favourite: bool = False
    public_escalation: str = ""  # a new public post, when the customer takes it outside


class PersonaEngine:
    """Plans simulated customers' posts and reactions from a scenario and a seed."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed

    def rng(self, *parts: object) -> random.Random:
        # A fresh generator per (seed, purpose): a step's plan never depends on
        # how many numbers an earlier step happened to draw.
        return random.Random(":".join([str(self.seed), *map(str, parts)]))

    # --- The cast -----------------------------------------------------------------------

    def cast(self) -> list[CastMember]:
        """Return the simulated customers of this run, the same for the same seed."""
        rng = self.rng("cast")
        names = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
        rng.shuffle(names)
        personas = list(self.scenario.personas)
        weights = [self.scenario.personas[name] for name in personas]
        members: list[CastMember] = []
        taken: set[str] = set()
        low, high = self.scenario.patience_minutes
        for first, last in names[: self.scenario.customers]:
            persona = rng.choices(personas, weights)[0]
            username = _handle(rng, first, last)
            while username in taken:
                username = f"{username[:26]}{rng.randint(0, 9)}"
            taken.add(username)
            follows = rng.random() < (0.85 if persona in ("advocate", "complimentary") else 0.3)
            members.append(
                CastMember(
                    username=username,
                    display_name=f"{first} {last}" if rng.random() < 0.8 else first,
                    persona=persona,
                    bio=rng.choice(_BIOS),
                    follows_brand=follows,
                    patience_minutes=round(rng.uniform(low, high), 1),
                )
            )
        return members

    # --- Volume ---------------------------------------------------------------------------

    def active_events(self, sim_time: dt.datetime) -> list[ScenarioEvent]:
        hours_in = (sim_time - self.scenario.start).total_seconds() / 3600
        return [event for event in self.scenario.events if event.active(hours_in)]

    def rate_per_hour(self, sim_time: dt.datetime) -> float:
        """Return the expected number of customer posts per simulated hour at `sim_time`."""
        opens, closes = self.scenario.open_hours
        base = self.scenario.posts_per_hour
        if not opens <= sim_time.hour < closes:
            base *= self.scenario.night_factor
        for event in self.active_events(sim_time):
            base *= event.rate
        return base

    # --- Posts ----------------------------------------------------------------------------------

    def plan(
        self, step: int, sim_from: dt.datetime, sim_to: dt.datetime, cast: Sequence[CastMember]
    ) -> list[PlannedPost]:
        """Return what the cast posts between two simulated times, in time order."""
        seconds = (sim_to - sim_from).total_seconds()
        if seconds <= 0 or not cast:
            return []
        rng = self.rng("step", step)
        midpoint = sim_from + dt.timedelta(seconds=seconds / 2)
        expected = self.rate_per_hour(midpoint) * seconds / 3600
        count = min(_poisson(rng, expected), MAX_POSTS_PER_STEP)
        offsets = sorted(rng.uniform(0, seconds) for _ in range(count))
        posts = []
        for offset in offsets:
            at = sim_from + dt.timedelta(seconds=offset)
            author = rng.randrange(len(cast))
            posts.append(self._post(rng, author, cast[author].persona, at, offset))
        return posts

    def _post(
        self, rng: random.Random, author: int, persona: str, at: dt.datetime, offset: float
    ) -> PlannedPost:
        events = self.active_events(at)
        crisis = next((e for e in events if e.kind == "crisis"), None)
        launch = next((e for e in events if e.kind == "launch"), None)
        mix = dict(self.scenario.kinds)
        for event in events:
            mix = {kind: mix.get(kind, 0) + 2 * event.mix.get(kind, 0) for kind in KINDS}
        weights = [mix.get(kind, 0) * _AFFINITY[persona][kind] for kind in KINDS]
        if not any(weights):
            weights = [1.0] * len(KINDS)
        kind = rng.choices(KINDS, weights)[0]
        words = self._words(rng, launch.product if launch and rng.random() < 0.6 else "")

        def make(kind: str, text: str, **extra: Any) -> PlannedPost:
            return PlannedPost(author, kind, text, offset_seconds=offset, **extra)

        if crisis and kind in ("complaint", "question") and persona != "troll":
            issue = self.scenario.issue(crisis.issue)
            if rng.random() < 0.3:
                text = _fill(rng.choice(ME_TOO), words)
                return make(kind, text, issue=issue.key, reply_to_issue=issue.key)
            return self._issue_post(rng, author, persona, kind, issue, words, offset)
        if persona == "troll":
            text = self._compose(rng, persona, _fill(rng.choice(TROLL), words), mention=True)
            return make("complaint", text)
        if kind in ("complaint", "question") and (kind == "complaint" or rng.random() < 0.4):
            if persona == "misguided":
                core = _fill(rng.choice(MISGUIDED), words)
                return make(
                    kind, self._compose(rng, persona, core, mention=True), visibility=_dm(rng)
                )
            issue = rng.choice(self.scenario.issues)
            return self._issue_post(rng, author, persona, kind, issue, words, offset)
        if kind == "question":
            bank = MISGUIDED if persona == "misguided" else QUESTIONS
            core = _fill(rng.choice(bank), words)
            text = self._compose(rng, persona, core, mention=True, kind=kind)
            return make(kind, text, visibility=_dm(rng, 0.2))
        if kind == "review":
            return make(kind, self._review(rng, persona, words))
        if kind == "ugc":
            body = _fill(rng.choice(UGC), words)
            tag = rng.choice(self.scenario.hashtags) if self.scenario.hashtags else ""
            text = f"{body} {'☕' if rng.random() < 0.5 else '📸'}" + (f" #{tag}" if tag else "")
            if rng.random() < 0.5:
                text += f" @{self.scenario.brand_username}"
            return make(kind, text, with_photo=rng.random() < 0.7)
        bank = ADVOCACY if persona == "advocate" else PRAISE
        return make(
            "praise", self._compose(rng, persona, _fill(rng.choice(bank), words), mention=True)
        )

    def _issue_post(
        self,
        rng: random.Random,
        author: int,
        persona: str,
        kind: str,
        issue: Issue,
        words: dict[str, str],
        offset: float,
    ) -> PlannedPost:
        bank = issue.question if kind == "question" and issue.question else issue.complaint
        kind = "question" if bank is issue.question else "complaint"
        text = self._compose(rng, persona, _fill(rng.choice(bank), words), mention=True, kind=kind)
        return PlannedPost(
            author, kind, text, issue=issue.key, visibility=_dm(rng), offset_seconds=offset
        )

    def _review(self, rng: random.Random, persona: str, words: dict[str, str]) -> str:
        low, high = _STARS[persona]
        stars = rng.randint(low, high)
        extra = rng.choice(REVIEW_EXTRA if stars >= 4 else REVIEW_EXTRA_BAD)
        words = {**words, "stars": "★" * stars + "☆" * (5 - stars), "extra": extra}
        bank = REVIEW_GOOD if stars >= 4 else REVIEW_BAD
        text = _fill(rng.choice(bank), words)
        tag = rng.choice(self.scenario.hashtags) if self.scenario.hashtags else ""
        suffix = f" @{self.scenario.brand_username}" if rng.random() < 0.6 else f" #{tag}"
        return _tidy(text + suffix)

    def _compose(
        self, rng: random.Random, persona: str, core: str, *, mention: bool, kind: str = ""
    ) -> str:
        polite = persona in ("complimentary", "advocate") and kind in ("question", "complaint")
        if polite or (kind == "question" and persona == "unhappy"):
            opener, closer = rng.choice(_POLITE_OPENERS), rng.choice(_POLITE_CLOSERS)
        else:
            opener, closer = rng.choice(OPENERS[persona]), rng.choice(CLOSERS[persona])
        brand = f"@{self.scenario.brand_username}"
        if mention and rng.random() < 0.5:
            parts = [brand, opener, core, closer]
        else:
            parts = [opener, core, closer, brand if mention else ""]
        return _sentences(part for part in parts if part)

    def _words(self, rng: random.Random, launch_product: str) -> dict[str, str]:
        product = rng.choice(self.scenario.products)
        drinks = [p for p in self.scenario.products if p.category == "drink"] or [product]
        service = rng.choice(self.scenario.services) if self.scenario.services else None
        name = launch_product or product.name
        return {
            "brand": self.scenario.brand_username,
            "brand_name": self.scenario.brand_display_name,
            "product": name,
            "good": rng.choice(product.good),
            "good_cap": _capital(rng.choice(product.good)),
            "bad": rng.choice(product.bad),
            "staff": rng.choice(self.scenario.staff),
            "shop": self.scenario.shop,
            "service": rng.choice(service.words) if service else "my order",
            "service_words": rng.choice(service.words) if service else "your delivery",
            "weekday": rng.choice(WEEKDAYS),
            "order": f"#EO{rng.randint(10000, 99999)}",
            "days": str(rng.randint(3, 12)),
            "amount": f"£{rng.randint(9, 38)}.{rng.choice(['00', '50', '95'])}",
            "n": str(rng.randint(2, 40)),
            "drink": rng.choice(drinks).name,
        }

    # --- Reactions ------------------------------------------------------------------------------

    def assess(self, reply_text: str, delay_minutes: float) -> ReplyQuality:
        """Judge a brand reply the way a customer would: warmth, action, help, speed."""
        lowered = reply_text.lower()
        return ReplyQuality(
            empathetic=any(word in lowered for word in _EMPATHY),
            acts=any(word in lowered for word in _ACTION),
            helpful=any(word in lowered for word in _HELPFUL) and len(lowered) > 40,
            dismissive=any(word in lowered for word in _DISMISSIVE) or len(lowered.split()) < 4,
            quick=delay_minutes <= self.scenario.quick_reply_minutes,
        )

    def react(
        self, *, persona: str, mood: int, reply_text: str, delay_minutes: float, key: object
    ) -> Reaction:
        """Return how a customer answers a brand reply, and how their mood moves.

        A quick, warm reply that offers to act calms an angry or unhappy
        customer; a slow or curt one makes things worse. Any reply to a troll
        feeds it. Misguided customers want an explanation; happy ones just
        say thanks.
        """
        rng = self.rng("react", key)
        quality = self.assess(reply_text, delay_minutes)
        brand = self.scenario.brand_username
        hours = str(max(1, round(delay_minutes / 60)))

        def say(outcome: str) -> str:
            return _fill(rng.choice(REACTIONS[outcome]), {"brand": brand, "hours": hours})

        if persona == "troll":
            return Reaction("troll_fed", say("troll_fed"), mood_delta=-1)
        if persona in ("complimentary", "advocate"):
            return Reaction("thanked", say("thanked"), mood_delta=1, favourite=True)
        if persona == "misguided":
            if quality.helpful or quality.acts:
                return Reaction("helped", say("helped"), mood_delta=2, favourite=rng.random() < 0.5)
            return Reaction("confused", say("confused"), mood_delta=-1)
        score = 2 * quality.empathetic + quality.acts + quality.quick - 2 * quality.dismissive
        if not quality.quick and delay_minutes > 3 * self.scenario.quick_reply_minutes:
            score -= 1
        delta = score - 1 if persona == "angry" else score - (0 if quality.quick else 1)
        new_mood = mood + delta
        if quality.dismissive:
            outcome = "curt"
        elif new_mood >= 1 and quality.empathetic:
            outcome = "calmed"
        elif not quality.quick:
            outcome = "slow"
        else:
            outcome = "partly"
        escalation = say("escalated") if new_mood <= -4 else ""
        return Reaction(outcome, say(outcome), mood_delta=delta, public_escalation=escalation)

    def chase(self, *, persona: str, waited_minutes: float, key: object) -> str:
        """Return the follow-up of a customer left waiting too long ("" if they give up)."""
        bank = CHASERS.get(persona)
        if not bank:
            return ""  # trolls lose interest; happy customers were not waiting
        rng = self.rng("chase", key)
        hours = str(max(1, round(waited_minutes / 60)))
        return _fill(rng.choice(bank), {"brand": self.scenario.brand_username, "hours": hours})


# --- Helpers -----------------------------------------------------------------------------------

_POLITE_OPENERS = ("Hi!", "Hello,", "Morning!", "", "")
_POLITE_CLOSERS = ("Thanks!", "Cheers!", "Thank you 🙏", "")
_AFFINITY: dict[str, dict[str, float]] = {
    "troll": {"review": 0.3, "ugc": 0.0, "question": 0.1, "complaint": 1.0, "praise": 0.0},
    "angry": {"review": 0.4, "ugc": 0.0, "question": 0.5, "complaint": 1.0, "praise": 0.0},
    "misguided": {"review": 0.2, "ugc": 0.1, "question": 1.0, "complaint": 0.5, "praise": 0.1},
    "unhappy": {"review": 0.6, "ugc": 0.1, "question": 0.6, "complaint": 1.0, "praise": 0.1},
    "complimentary": {"review": 1.0, "ugc": 0.6, "question": 0.5, "complaint": 0.0, "praise": 1.0},
    "advocate": {"review": 0.8, "ugc": 1.0, "question": 0.2, "complaint": 0.0, "praise": 1.0},
}
_STARS = {
    "troll": (1, 1),
    "angry": (1, 2),
    "misguided": (3, 4),
    "unhappy": (2, 3),
    "complimentary": (4, 5),
    "advocate": (5, 5),
}
_BIOS = (
    "Coffee first. Questions later.",
    "Nurse, runner, oat milk enthusiast.",
    "Dad of two, tired of one.",
    "Designer. Opinions are my cat's.",
    "Local history nerd ☕📚",
    "Trying every café in town, one flat white at a time.",
    "Teacher. Powered by caffeine and optimism.",
    "",
)


def _handle(rng: random.Random, first: str, last: str) -> str:
    style = rng.randrange(4)
    if style == 0:
        handle = f"{first}_{last}"
    elif style == 1:
        handle = f"{first}{last}{rng.randint(1, 99)}"
    elif style == 2:
        handle = f"{first[0]}{last}"
    else:
        handle = f"{first}{rng.choice(['coffee', 'bean', 'brews', 'cup'])}{rng.randint(1, 9)}"
    return handle.lower()[:30]


def _fill(template: str, words: Mapping[str, str]) -> str:
    return template.format_map(_Blank(words))


class _Blank(dict[str, str]):
    def __init__(self, words: Mapping[str, str]) -> None:
        super().__init__(words)

    def __missing__(self, key: str) -> str:
        return ""


def _sentences(parts: Iterable[str]) -> str:
    """Join opener, body and closer into sentences: capitals and full stops where due."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not out:
            out = part[:1].upper() + part[1:] if part[0].isalpha() else part
            continue
        starts_sentence = part[0].isalpha() and not part.startswith(("@", "#"))
        if out.endswith((".", "!", "?")) or (out.startswith("@") and " " not in out):
            part = part[:1].upper() + part[1:] if starts_sentence else part
        elif starts_sentence and not out.endswith((",", ":", "but")) and out[-1].isalnum():
            out += "."
            part = part[:1].upper() + part[1:]
        out = f"{out} {part}"
    return out


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] if text and not text.startswith("@") else text


def _dm(rng: random.Random, share: float = 0.15) -> str:
    return "direct" if rng.random() < share else "public"


def _poisson(rng: random.Random, expected: float) -> int:
    if expected <= 0:
        return 0
    if expected > 30:
        return max(0, round(rng.gauss(expected, math.sqrt(expected))))
    # Knuth's method: fine for the small rates of one step.
    limit, count, product = math.exp(-expected), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def make_photo(seed: object, size: int = 48) -> bytes:
    """Return a small PNG (a warm gradient, different per seed) to stand in for a photo."""
    rng = random.Random(str(seed))
    top = [rng.randint(120, 230), rng.randint(70, 150), rng.randint(30, 90)]
    bottom = [max(0, channel - rng.randint(40, 90)) for channel in top]
    rows = []
    for y in range(size):
        mix = y / (size - 1)
        pixel = bytes(round(t + (b - t) * mix) for t, b in zip(top, bottom, strict=True))
        rows.append(b"\x00" + pixel * size)
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
