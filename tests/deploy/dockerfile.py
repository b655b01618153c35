"""Read the Dockerfile and .dockerignore as Docker does, so tests follow the real files."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Dockerfile:
    instructions: list[tuple[str, str]]  # (INSTRUCTION, arguments), continuations joined
    env: dict[str, str] = field(default_factory=dict)

    def all(self, name: str) -> list[str]:
        return [args for ins, args in self.instructions if ins == name]

    def last(self, name: str) -> str:
        found = self.all(name)
        assert found, f"the Dockerfile has no {name}"
        return found[-1]

    def cmd(self) -> list[str]:
        """CMD in exec (JSON) form: the argv the container starts with."""
        return json.loads(self.last("CMD"))

    def healthcheck(self) -> list[str]:
        args = self.last("HEALTHCHECK")
        return json.loads(args[args.index("CMD") + 3:].strip())


def read_dockerfile(path: Path = ROOT / "Dockerfile") -> Dockerfile:
    instructions, current = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        name, _, args = current.strip().partition(" ")
        instructions.append((name.upper(), args.strip()))
        current = ""
    df = Dockerfile(instructions)
    for args in df.all("ENV"):
        for pair in shlex.split(args):
            key, sep, value = pair.partition("=")
            assert sep, f"ENV {args!r}: use KEY=value"
            df.env[key] = value
    return df


def _pattern(p: str) -> re.Pattern:
    out, i = "", 0
    while i < len(p):
        if p.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif p.startswith("**", i):
            out, i = out + ".*", i + 2
        elif p[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif p[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(p[i]), i + 1
    return re.compile(out + r"\Z")


def build_context(root: Path = ROOT) -> list[str]:
    """The repository's files that `docker build .` sends: git's files minus .dockerignore.

    Docker's rule: a path is left out when the last pattern matching it, or any folder above
    it, is not a `!` exception.
    """
    rules = []
    for line in (root / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keep = line.startswith("!")
            rules.append((keep, _pattern(line.lstrip("!").strip("/"))))
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=root, capture_output=True, text=True, check=True).stdout.split()

    def excluded(path: str) -> bool:
        parts = path.split("/")
        verdict = False
        for n in range(1, len(parts) + 1):
            prefix = "/".join(parts[:n])
            for keep, rx in rules:
                if rx.match(prefix):
                    verdict = not keep
        return verdict

    return sorted(f for f in files if (root / f).is_file() and not excluded(f))
