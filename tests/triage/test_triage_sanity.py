"""The demo reads right: kind and persona on the texts the demo itself produces.

The sandbox persona engine's café scenario and the inbox demo's seed messages
say what each text is meant to be; the packaged engine must agree often enough
(``python benchmarks/triage.py --sanity`` prints the figures). A persona is a
property of the simulated author, not always visible in one text, so the
persona floor is lower than the kind floor.
"""

from __future__ import annotations

import datetime as dt

from rapport.inbox.demo import FORM_SEEDS, SOCIAL_SEEDS
from rapport.sandbox.personas import PersonaEngine, load_scenario
from rapport.triage import Engine

PERSONAS = {
    "troll": "troll",
    "angry": "angry_customer",
    "misguided": "misguided_customer",
    "unhappy": "unhappy_customer",
    "complimentary": "complimentary_customer",
    "advocate": "brand_advocate",
}


def planned_posts() -> list[tuple[str, str, str]]:
    scenario = load_scenario("cafe")
    planner = PersonaEngine(scenario, 0)
    cast = planner.cast()
    rows = []
    for step in range(48):
        start = scenario.start + dt.timedelta(hours=step)
        for post in planner.plan(step, start, start + dt.timedelta(hours=1), cast):
            rows.append((post.text, post.kind, PERSONAS[cast[post.author].persona]))
    return rows


def test_sandbox_posts_read_as_their_kind_and_persona(engine: Engine) -> None:
    posts = planned_posts()
    found = engine.classify_batch([text for text, _, _ in posts])

    kind_right = [
        r.kind == kind or (persona == "troll" and r.kind in ("abuse", "complaint"))
        for (_, kind, persona), r in zip(posts, found, strict=True)
    ]
    persona_right = [r.persona == p for (_, _, p), r in zip(posts, found, strict=True)]
    trolls_as_praise = [
        r for (_, _, p), r in zip(posts, found, strict=True) if p == "troll" and r.kind == "praise"
    ]

    assert len(posts) > 150
    assert sum(kind_right) / len(posts) >= 0.6
    assert sum(persona_right) / len(posts) >= 0.35
    assert not trolls_as_praise


def test_demo_seeds_read_as_intended(engine: Engine) -> None:
    social = engine.classify_batch([s.replace("{n}", "1042") for s in SOCIAL_SEEDS])
    forms = engine.classify_batch([f"{a}\n\n{b.replace('{n}', '1042')}" for a, b in FORM_SEEDS])
    kinds = [r.kind for r in social]

    praise = [SOCIAL_SEEDS.index(s) for s in SOCIAL_SEEDS if s.startswith(("Best", "Just", "Sub"))]
    assert all(kinds[i] == "praise" for i in praise), kinds
    assert kinds.count("complaint") >= 4
    assert sum(k == "question" for k in kinds) >= 5
    assert "praise" not in {social[i].kind for i, s in enumerate(SOCIAL_SEEDS) if "lol" in s}
    assert [r.kind for r in forms] == ["complaint", "question", "question", "complaint"]
