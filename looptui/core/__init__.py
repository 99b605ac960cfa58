"""looptui's core: the Loop engine and the records the monitor reads. No UI imports here."""
