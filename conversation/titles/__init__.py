"""Titles by the model (docs/context.md, "Titles"): after a chat's first reply, the model proposes a
short title in the background; a title a person gave is never replaced."""
