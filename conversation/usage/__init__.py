"""Usage shown (docs/context.md): the tokens a user's model calls used, a day at a time, their
record (`services.py`), their series and the stats pages show (`selectors.py`), and its chart (`chart.py`)."""
