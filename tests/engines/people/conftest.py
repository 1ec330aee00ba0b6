"""Fixtures for the people engine's tests."""

from tests.engines.people.link_support import held, held_real

__all__ = ["held", "held_real"]
