"""Hot reload: watch the program's files and swap in new code while the old loops hand over.

Owns the file watcher (``watcher``, watchfiles imported only when watching), the reload
procedure (``hot_reload``), reloading a cog through its Discord library
(``extensions``), the handover of names and history (``handover``), what counts as
changed code (``fingerprint``) and the outcome of an attempt (``outcome``). May import
``looptui.core`` and ``looptui.session.program``; it drives the session only through the
small host interface in ``hot_reload``. Never imports a front end or textual.
"""
