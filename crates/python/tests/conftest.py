"""Shared fixtures: one engine per session and generated job posts (a
template filled with skill phrases; never a test set)."""

from __future__ import annotations

import random
import struct
from typing import Any

import pytest

import skillmark

SKILLS = [
    "Python", "SQL", "Java", "Rust", "Kubernetes", "Docker", "project management",
    "data analysis", "machine learning", "customer service", "accounting",
    "negotiation", "team leadership", "Excel", "statistics", "cloud computing",
    "technical writing", "user research", "budget planning", "quality assurance",
]
ROLES = ["data engineer", "nurse", "sales manager", "software developer", "accountant", "teacher"]
SENTENCES = [
    "We are looking for a {role} to join our team in {city}.",
    "You have experience with {a} and {b}.",
    "Strong knowledge of {a} is required; {b} is a plus.",
    "You will use {a} every day and mentor colleagues in {b}.",
    "- At least {n} years of {a}",
    "Responsibilities include {a}, {b} and reporting to management.",
    "Nice to have: {a}.",
    "We offer a friendly team, flexible hours and training in {b}.",
]
CITIES = ["Berlin", "Lyon", "Madrid", "Zürich", "Kraków"]


def make_posts(n: int, sentences: int = 6, seed: int = 23) -> list[str]:
    """`n` generated job posts of `sentences` sentences each (deterministic)."""
    rng = random.Random(seed)
    posts = []
    for _ in range(n):
        lines = []
        for _ in range(sentences):
            a, b = rng.sample(SKILLS, 2)
            lines.append(
                rng.choice(SENTENCES).format(
                    role=rng.choice(ROLES), city=rng.choice(CITIES), a=a, b=b, n=rng.randint(2, 8)
                )
            )
        posts.append("\n".join(lines))
    return posts


def f32(obj: Any) -> Any:
    """`obj` with every float rounded to float32: dict results carry the
    shortest decimal of each f32 score (as the CLI's JSON), Arrow's float32
    columns the f32 itself."""
    if isinstance(obj, float):
        return struct.unpack("f", struct.pack("f", obj))[0]
    if isinstance(obj, dict):
        return {k: f32(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [f32(v) for v in obj]
    return obj


@pytest.fixture(scope="session")
def engine() -> skillmark.Engine:
    return skillmark.Engine(threads=2)


@pytest.fixture(scope="session")
def posts() -> list[str]:
    return make_posts(12)
