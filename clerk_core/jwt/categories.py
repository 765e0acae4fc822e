"""JWT categories carried in Clerk's ``cat`` header.

Clerk stamps every JWT it mints with a category so that a token minted for one
purpose cannot be replayed for another. An absent ``cat`` is accepted
everywhere: older instances do not send it.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "IGNORE",
    "JWT_TEMPLATE",
    "M2M_TOKEN",
    "SESSION_TOKEN",
    "is_non_session_category",
]

#: Session tokens (and handshake tokens).
SESSION_TOKEN: Final = "cl_B7d4PD111AAA"
#: Tokens minted from a JWT template.
JWT_TEMPLATE: Final = "cl_B7d4PD222AAA"
#: Machine-to-machine JWTs.
M2M_TOKEN: Final = "cl_B7d4PD333AAA"
#: Instances that opted out of categories; carries no class information.
IGNORE: Final = "cl_I7d4PD111III"


def is_non_session_category(cat: object) -> bool:
    """True when ``cat`` is present and names something other than a session token."""
    return cat is not None and cat != SESSION_TOKEN and cat != IGNORE
