"""python -m chatproject.daphne: Daphne started with the project's socket limits."""

from daphne.cli import CommandLineInterface

from chatproject import daphne


def test_it_passes_the_frame_limit_and_the_handshake_timeout_from_settings(settings, monkeypatch):
    settings.WS_MAX_FRAME_BYTES = 1234
    settings.WS_CONNECT_TIMEOUT_SECONDS = 45
    started = []
    monkeypatch.setattr(CommandLineInterface, "run", lambda self, args: started.append(args))
    daphne.main(["-p", "9000", "chatproject.asgi:application"])
    [args] = started
    assert args[args.index("--websocket-max-frame-size") + 1] == "1234"
    assert args[args.index("--websocket-max-message-size") + 1] == "1234"
    assert args[args.index("--websocket_connect_timeout") + 1] == "45"
    assert args[-3:] == ["-p", "9000", "chatproject.asgi:application"]
    # Daphne's own parser takes them.
    parsed = CommandLineInterface().parser.parse_args(args)
    assert parsed.websocket_connect_timeout == 45
