"""Fixtures for the people engine's tests."""

from tests.engines.people.link_support import held

__all__ = ["held"]
