"""`make bench`: run the benchmarks named on the command line (default: all) on throwaway servers."""

import importlib
import sys

BENCHMARKS = [
    "domain",
    "expire",
    "account_export",
    "imports",
    "jobs",
    "branches",
    "api",
    "context",
    "ws",
    "chaos",
    "serve",
    "restarts",
    "search",
    "landing",
    "bulk",
    "share",
    "context_budget",
]


def main() -> None:
    names = sys.argv[1:] or BENCHMARKS
    for name in names:
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main()
