"""Loops of a program in another process: the wire format, mirrors, and the attached session.

``looptui attach`` reads a program that runs the agent (:mod:`looptui.agent`) through a
:class:`~looptui.session.remote.remote_session.RemoteSession`, which implements the same
:class:`~looptui.session.interface.SessionView` as the in-process session: the TUI and
headless cannot tell the difference.
"""
