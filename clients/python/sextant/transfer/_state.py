"""Which source runs an import has finished, kept on disk so that a killed
import resumes where it stopped. Only a shortcut: writes are idempotent
(runs are created by id, series are last-write-wins, files are
content-addressed), so a run imported twice comes out the same."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Dict, Optional


def default_dir() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "sextant", "imports")


class ImportState:
    def __init__(self, directory: Optional[str], *key: str):
        self.path: Optional[str] = None
        self.done: Dict[str, str] = {}
        if directory is None:
            return
        digest = hashlib.sha256("\0".join(key).encode("utf-8")).hexdigest()[:24]
        self.path = os.path.join(directory, digest + ".json")
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
            if isinstance(data, dict) and isinstance(data.get("done"), dict):
                self.done = {str(k): str(v) for k, v in data["done"].items()}
        except (OSError, ValueError):
            pass
        self._key = list(key)

    def is_done(self, source_id: str, fingerprint: str) -> bool:
        return self.done.get(source_id) == fingerprint

    def mark_done(self, source_id: str, fingerprint: str) -> None:
        self.done[source_id] = fingerprint
        if self.path is None:
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"key": self._key, "done": self.done}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.done = {}
        if self.path and os.path.exists(self.path):
            os.remove(self.path)
