"""The accounts app's one live event, to a user's own sockets (chatproject.live publishes it)."""


def auth_recheck(*, tokens_only: bool) -> dict:
    """To the user's sockets, not passed on to the browser: check the credentials again."""
    return {"type": "auth.recheck", "tokens_only": tokens_only}
