"""``python -m looptui``: the same command as ``looptui``."""

from looptui.cli import main

if __name__ == "__main__":
    main()
