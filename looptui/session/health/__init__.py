"""Health of the event loop and of each loop: blocking watchdog, stuck bodies, lag.

Owns the watchdog thread and its samples (``watchdog``), turning samples into blocks with
per-loop blame (``stalls``), stack walking and await chains (``stacks``), stuck-body
detection (``stuck``) and the lag probe (``lag``). May import ``looptui.core`` and
``looptui.session.program.owners``; never a front end or textual.
"""
