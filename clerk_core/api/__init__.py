"""The Backend API: operations as data, the call flow, models, pages.

Reach operations through a client (``clerk.users.get(user_id)``); import models from
:mod:`clerk_core.api.schemas`. :data:`UNSET` is the default of every optional parameter
(left out of the request), so ``None`` can mean ``null``.
"""

from .operation import UNSET, Unset
from .pages import Page

__all__ = ["UNSET", "Page", "Unset"]
