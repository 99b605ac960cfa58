"""Debugging inside the running program: the terminal for ``pdb``, every asyncio task,
and a Python console on the event loop.

* :mod:`.handover` — ``breakpoint()`` / ``pdb.set_trace()`` / ``pdb.post_mortem()`` in user
  code get the real terminal (the TUI steps aside, output capture pauses, the watchdog
  does not count the pause as a block).
* :mod:`.tasks` — every task of the program as plain rows (name, coroutine, state, where
  it waits), its await chain, cancel; tasks that died with an exception nobody retrieved.
* :mod:`.console` — Python evaluated in the program's namespace on the running loop.
"""
