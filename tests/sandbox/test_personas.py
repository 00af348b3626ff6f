"""The persona engine on its own: scenarios, reproducible plans, believable variety, reactions."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from rapport.sandbox.personas import (
    PERSONAS,
    SCENARIO_DIR,
    PersonaEngine,
    ScenarioError,
    load_scenario,
    make_photo,
)


@pytest.fixture(scope="module")
def cafe():
    return load_scenario("cafe")


def _day(engine, cast, hours=48):
    start = engine.scenario.start
    posts = []
    for step in range(hours):
        frm = start + dt.timedelta(hours=step)
        posts += [(step, p) for p in engine.plan(step, frm, frm + dt.timedelta(hours=1), cast)]
    return posts


def test_the_cafe_scenario_describes_a_cafe_and_roastery(cafe):
    assert cafe.brand_username == "emberandoak"
    assert {p.category for p in cafe.products} >= {"drink", "food", "beans"}
    assert "online orders" in {s.name for s in cafe.services}
    assert {e.kind for e in cafe.events} == {"launch", "crisis"}
    assert set(cafe.personas) == set(PERSONAS)


def test_the_same_seed_gives_the_same_run(cafe):
    first, second = PersonaEngine(cafe, 42), PersonaEngine(cafe, 42)

    assert first.cast() == second.cast()
    assert _day(first, first.cast(), 12) == _day(second, second.cast(), 12)


def test_another_seed_gives_another_run(cafe):
    one, two = PersonaEngine(cafe, 1), PersonaEngine(cafe, 2)

    assert [p.text for _, p in _day(one, one.cast(), 12)] != [
        p.text for _, p in _day(two, two.cast(), 12)
    ]


def test_texts_are_varied_not_one_template(cafe):
    engine = PersonaEngine(cafe, 3)
    texts = [p.text for _, p in _day(engine, engine.cast())]

    assert len(texts) > 100
    assert len(set(texts)) / len(texts) > 0.85
    assert len({t.split()[1] for t in texts if len(t.split()) > 1}) > 30


def test_every_persona_and_kind_appears(cafe):
    engine = PersonaEngine(cafe, 5)
    cast = engine.cast()
    posts = _day(engine, cast)

    assert {m.persona for m in cast} == set(PERSONAS)
    assert {p.kind for _, p in posts} == {"review", "ugc", "question", "complaint", "praise"}
    assert any(p.visibility == "direct" for _, p in posts)
    assert any(p.with_photo for _, p in posts)


def test_a_brand_crisis_is_a_spike_of_complaints_about_one_issue(cafe):
    engine = PersonaEngine(cafe, 9)
    crisis = next(e for e in cafe.events if e.kind == "crisis")
    posts = _day(engine, engine.cast())
    during = [p for step, p in posts if crisis.active(step + 0.5)]
    calm = [
        p
        for step, p in posts
        if 9 <= step % 24 < 17 and not any(e.active(step + 0.5) for e in cafe.events)
    ]

    per_hour_during = len(during) / crisis.hours
    per_hour_calm = len(calm) / max(1, len({s for s, p in posts if p in calm}))
    on_issue = Counter(p.issue for p in during if p.kind in ("complaint", "question"))
    assert per_hour_during > 2.5 * per_hour_calm
    assert on_issue.most_common(1)[0][0] == "card_double_charge"
    assert any(p.reply_to_issue for p in during)  # "me too" replies in the thread


def test_a_quick_empathetic_answer_calms_an_angry_customer(cafe):
    engine = PersonaEngine(cafe, 1)

    reaction = engine.react(
        persona="angry",
        mood=-1,
        reply_text="So sorry, Maya. That's not OK: we'll refund the duplicate charge today.",
        delay_minutes=15,
        key="a",
    )

    assert reaction.outcome == "calmed" and reaction.mood_delta > 0
    assert not reaction.public_escalation


def test_a_slow_curt_answer_makes_an_angry_customer_worse(cafe):
    engine = PersonaEngine(cafe, 1)

    reaction = engine.react(
        persona="angry", mood=-2, reply_text="Read the FAQ.", delay_minutes=600, key="b"
    )

    assert reaction.outcome == "curt" and reaction.mood_delta < 0
    assert "@emberandoak" in reaction.public_escalation


def test_feeding_a_troll_escalates(cafe):
    engine = PersonaEngine(cafe, 1)

    reaction = engine.react(
        persona="troll",
        mood=0,
        reply_text="Sorry you feel that way! We love our coffee.",
        delay_minutes=5,
        key="c",
    )

    assert reaction.outcome == "troll_fed" and reaction.mood_delta < 0
    assert "@emberandoak" in reaction.text


def test_a_misguided_customer_wants_an_explanation(cafe):
    engine = PersonaEngine(cafe, 1)

    helped = engine.react(
        persona="misguided",
        mood=0,
        delay_minutes=30,
        key="d",
        reply_text="Good question! You can pause it any time here: https://emberandoak.example/pause",
    )
    confused = engine.react(
        persona="misguided",
        mood=0,
        reply_text="Thanks for your message.",
        delay_minutes=30,
        key="e",
    )

    assert helped.outcome == "helped" and confused.outcome == "confused"


def test_unanswered_customers_chase_but_trolls_give_up(cafe):
    engine = PersonaEngine(cafe, 1)

    assert "@emberandoak" in engine.chase(persona="angry", waited_minutes=300, key=1)
    assert engine.chase(persona="troll", waited_minutes=300, key=1) == ""


def test_a_bad_scenario_is_refused_with_the_reason(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(
        (SCENARIO_DIR / "cafe.toml").read_text().replace("troll = 0.06", "villain = 0.06")
    )

    with pytest.raises(ScenarioError, match="Unknown personas: villain"):
        load_scenario(broken)
    with pytest.raises(ScenarioError):
        load_scenario("../../etc/passwd")


def test_photos_are_real_pngs():
    assert make_photo(1).startswith(b"\x89PNG\r\n\x1a\n")
    assert make_photo(1) == make_photo(1) != make_photo(2)
