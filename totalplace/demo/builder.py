"""Who builds the demo: a trusted principal named ``demo`` (as the command line's operator is ``cli``), so the
demo's changes go through the same library functions, policy checks and audit as anyone's."""

from __future__ import annotations

from typing import Final

from totalplace.governance.roles import Principal

DEMO_BUILDER: Final = Principal("demo", True, ())
