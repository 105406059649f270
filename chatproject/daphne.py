"""Daphne with the project's socket limits: `python -m chatproject.daphne [Daphne's arguments]`.

Daphne refuses a WebSocket frame or message larger than WS_MAX_FRAME_BYTES while it arrives, and
closes that socket (1009), so no client makes the server hold a large frame whole. A handshake may
take WS_CONNECT_TIMEOUT_SECONDS before Daphne gives up on it.
"""

import os
import sys

from daphne.cli import CommandLineInterface


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")
    from django.conf import settings

    limit = str(settings.WS_MAX_FRAME_BYTES)
    connect_timeout = str(settings.WS_CONNECT_TIMEOUT_SECONDS)
    CommandLineInterface().run(
        [
            "--websocket-max-message-size",
            limit,
            "--websocket-max-frame-size",
            limit,
            "--websocket_connect_timeout",
            connect_timeout,
            *argv,
        ]
    )


if __name__ == "__main__":
    main(sys.argv[1:])
