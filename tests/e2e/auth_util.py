"""Helpers for the access-control tests: the `sextant` account commands and an
authenticated server with one principal per role."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field

from sextant_e2e import BIN, Client, Server, cli_store_args


def sextant(data_dir, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Runs `sextant <args> --data <data_dir>` (and the `--store` of the test
    server on that folder, if it has one)."""
    p = subprocess.run([BIN, *args, "--data", str(data_dir), *cli_store_args(data_dir)],
                       input=stdin, capture_output=True,
                       text=True, timeout=60)
    if check:
        assert p.returncode == 0, f"sextant {' '.join(args)} failed ({p.returncode}):\n{p.stderr}"
    return p


def last_line(p: subprocess.CompletedProcess) -> str:
    return p.stdout.strip().splitlines()[-1]


PASSWORD = "correct-horse-battery"


@dataclass
class Team:
    """A server whose data folder has an owner and one user per role on `ws/p`."""
    server: Server
    tokens: dict[str, str] = field(default_factory=dict)  # principal -> API token

    def client(self, who: str | None) -> Client:
        return self.server.client.as_token(self.tokens.get(who) if who else None)


def make_team(make_server, name: str = "team", extra_args=()) -> Team:
    srv = make_server(extra_args, name=name, start=False)
    data = srv.data_dir
    team = Team(srv)
    team.tokens["owner"] = last_line(sextant(data, "admin", "init", "--name", "owner",
                                             "--password-stdin", stdin=PASSWORD + "\n"))
    for who, role in (("viewer", "viewer"), ("writer", "writer"), ("padmin", "admin"),
                      ("outsider", None)):
        sextant(data, "user", "add", who, "--password-stdin", stdin=PASSWORD + "\n")
        if role:
            sextant(data, "member", "add", who, "ws/p", role)
        team.tokens[who] = last_line(sextant(data, "token", "create", "--user", who))
    srv.start()
    owner = team.client("owner")
    r = owner.post("/projects/ws/p/runs", {"run_id": "r1"})
    assert r.status == 201, r
    assert owner.log("ws/p", "r1", {"configs": {"lr": 0.1}, "series": [{"path": "loss", "steps": [1], "values": [0.5]}]}).status == 200
    return team
