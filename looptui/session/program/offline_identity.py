"""What login would have set on a Discord client, for ``--offline``.

Start-up code reads what logging in fills: ``setup_hook`` logs ``self.user.name``, a cog
registers commands for ``bot.application_id``, a check compares with ``bot.owner_id``.
Offline those stay ``None`` and such code fails before it loads its cogs or starts its
loops. :func:`give_offline_identity` sets them as login would, to a fixed fake identity:

* ``client.user``: the library's own ``ClientUser`` (name ``offline``, id
  :data:`OFFLINE_USER_ID`), made from the data the login call would have returned;
* ``client.application_id``: :data:`OFFLINE_APPLICATION_ID` (a bot's application has
  its user's id), unless the program passed one;
* ``owner_id``: :data:`OFFLINE_OWNER_ID`, only for a library that fills it at login
  (disnake fetches the owners then), and only when the program did not set owners.

Anything the program set itself is kept.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["OFFLINE_USER_ID", "OFFLINE_APPLICATION_ID", "OFFLINE_OWNER_ID", "OFFLINE_NAME",
           "give_offline_identity"]

OFFLINE_NAME = "offline"
OFFLINE_USER_ID = 100000000000000001
"""The offline client's user id (a valid snowflake no real account has: 2015-01-01)."""
OFFLINE_APPLICATION_ID = OFFLINE_USER_ID
OFFLINE_OWNER_ID = 100000000000000002


def _user_data() -> dict[str, Any]:
    """What Discord answers to the login call, for the fake account."""
    return {
        "id": str(OFFLINE_USER_ID), "username": OFFLINE_NAME, "discriminator": "0",
        "global_name": None, "avatar": None, "banner": None, "accent_color": None,
        "bot": True, "system": False, "verified": True, "mfa_enabled": False,
        "flags": 0, "public_flags": 0, "locale": "en-US",
    }


def give_offline_identity(client: Any, library: str) -> str | None:
    """Set *client*'s user, application id and (where login sets it) owner id.

    Returns why the user could not be made (a library version that builds it another
    way), else ``None``; the other attributes are set either way.
    """
    state = getattr(client, "_connection", None)
    problem = None
    user_type = getattr(sys.modules.get(library), "ClientUser", None)
    if state is not None and isinstance(user_type, type) and not isinstance(
            getattr(state, "user", None), user_type):  # None, or disnake's MISSING
        try:
            state.user = user_type(state=state, data=_user_data())
        except Exception as exc:
            problem = f"{library}.ClientUser could not be made: {type(exc).__name__}: {exc}"
    if state is not None and not isinstance(getattr(state, "application_id", None), int):
        try:
            state.application_id = OFFLINE_APPLICATION_ID
        except Exception as exc:
            problem = problem or f"application_id could not be set: {exc}"
    fills_owners = callable(getattr(type(client), "_fill_owners", None))
    if fills_owners and not getattr(client, "owner_id", None) and not getattr(
            client, "owner_ids", None):
        try:
            client.owner_id = OFFLINE_OWNER_ID
        except Exception:  # a read-only owner_id: the program's own business
            pass
    return problem
