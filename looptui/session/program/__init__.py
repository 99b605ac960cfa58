"""Loading and running the user's program: import the target, find its loops, run ``--main``.

Owns the loader (import a path or module name, discover module loops), which files make up
the program (``sources``), bounded running and forced interrupts (``runner``, ``signals``)
and which asyncio task belongs to which loop (``owners``). May import ``looptui.core`` and
``looptui.session.output``; never the other session sub-packages, a front end, or textual.
"""
