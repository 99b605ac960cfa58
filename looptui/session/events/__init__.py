"""Events: the JSON event objects (README "Headless mode and events") and the ``--record``
file that keeps them.

Owns building event dicts from trackers and records (``build``) and the append-only JSON
lines writer (``recorder``). May import ``looptui.core``, ``looptui.session.output`` and the
target errors of ``looptui.session.program``; never a front end or textual.
"""
