"""Make every loop of the running program visible to the agent, also those made before it.

looptui's own loops register themselves in the process-wide registry when created. The
four Discord libraries' loops are seen through :mod:`looptui.adapters`: new ones from the
moment the hooks are installed, and the ones that already exist by one pass over the
objects the garbage collector knows (done once, when the agent starts).
"""

from __future__ import annotations

import gc

from looptui import adapters
from looptui.core.registry import Registry

__all__ = ["observe_loops"]


def observe_loops(registry: Registry) -> int:
    """Hook the libraries' ``Loop`` classes and track the loops that already exist.

    Returns:
        How many already-existing foreign loops were found.
    """
    adapters.install(registry)
    found = 0
    for obj in gc.get_objects():
        try:
            if adapters.is_foreign_loop(obj) and adapters.tracker_for(obj) is None:
                if adapters.recognise(obj) is not None:
                    found += 1
        except Exception:  # an object with a strange __class__: not a loop
            continue
    return found
