"""Who builds the demo: its partnership lead, an administrator, acting through the library as a user would
(the policy is asked; the audit trail names "demo")."""

from __future__ import annotations

from typing import Final

from totalplace.governance.roles import Principal, trusted

DEMO: Final[Principal] = trusted("demo")
