"""What every management command of the product shares."""

import argparse

from django.core.management.base import BaseCommand


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1, refused with a message naming the value."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number.") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1.")
    return number


class ProductCommand(BaseCommand):
    """A command whose bad arguments are answered with one line on stderr and exit status 2.

    argparse would print the whole usage first, and an exception raised while parsing (which runs
    before BaseCommand's CommandError handling) would print a traceback: argument types raise
    ArgumentTypeError instead, and the usage is left to --help.
    """

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.print_usage = lambda file=None: None
        return parser
