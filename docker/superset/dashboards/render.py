"""Write the warehouse connection into a copy of the dashboard YAML before ``superset import-directory``.

    python render.py <copy of this folder> <sqlalchemy URI without password> [<password>]

The password is inserted URL-encoded into ``databases/*.yaml`` of the copy; the committed files never hold one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit


def with_password(uri: str, password: str) -> str:
    if not password:
        return uri
    parts = urlsplit(uri)
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def render(folder: Path, uri: str, password: str = "") -> None:
    for path in (folder / "databases").glob("*.yaml"):
        lines = path.read_text(encoding="utf-8").splitlines()
        lines = [
            f"sqlalchemy_uri: {with_password(uri, password)}" if ln.startswith("sqlalchemy_uri:") else ln
            for ln in lines
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    render(Path(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
