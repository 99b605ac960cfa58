"""Output of the user's code: capture per loop, bound floods, make user text inert.

Owns stdout/stderr/logging capture attributed to the running loop (``capture``), thread
inboxes and rate limits (``flood``), neutralising escape sequences (``sanitize``) and
cutting long lines and tracebacks (``clip``). May import ``looptui.core`` only; the lowest
session sub-package, used by the others and by both front ends.
"""
