"""Exit 0 when the PostgreSQL server of DATABASE_URL answers; --version prints its version."""

import sys
from urllib.parse import urlparse

import psycopg


def main(argv: list[str]) -> int:
    show_version = "--version" in argv
    url = [a for a in argv if not a.startswith("--")][0]
    admin_url = urlparse(url)._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin_url, connect_timeout=3) as conn:
            version = conn.execute("show server_version").fetchone()[0]
    except psycopg.Error:
        return 1
    if show_version:
        print(f"PostgreSQL {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
