"""Run management, part of `Client`: move runs to the trash and back, edit
a run's name, description, tags and archived flag (one run or many at once),
and a project's description. Trashed and archived runs stay readable; the
runs table hides them unless asked (`Client.runs(trashed=, archived=)`)."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Union

from ._errors import ValidationError
from ._http import Http, quote
from . import _validate as V

VISIBILITY = ("hide", "only", "include")
MAX_DESCRIPTION_BYTES = 64 << 10
EDIT_BATCH = 1_000  # the most run ids one bulk edit request takes


def visibility(value: Any, what: str) -> str:
    """`trashed=` / `archived=` of the runs listing: "hide", "only" or "include"."""
    if value not in VISIBILITY:
        raise ValidationError(f"{what} must be one of {', '.join(map(repr, VISIBILITY))}; got {value!r}")
    return str(value)


def _flag(value: Any, what: str) -> Optional[bool]:
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"{what} must be True, False or None; got {value!r:.80}")
    return value


def _tag_changes(body: Dict[str, Any], add_tags: Any, remove_tags: Any) -> None:
    for key, value in (("add_tags", add_tags), ("remove_tags", remove_tags)):
        tags = V.tags(value)
        if tags:
            body[key] = tags


class RunManagement:
    """The run-management methods of `Client` (mixed in)."""

    def _http(self) -> Http:  # provided by Client
        raise NotImplementedError

    def project(self, project: str) -> Dict[str, Any]:
        """One project: ``{"project": "ws/name", "description": str, ...}``."""
        V.project_name(project)
        return self._http().json("GET", f"/projects/{project}")

    def set_project_description(self, project: str, text: str) -> Dict[str, Any]:
        """Sets a project's description (Markdown, up to 64 KiB; "" clears
        it). Returns ``{"project", "description"}``."""
        V.project_name(project)
        return self._http().json("PATCH", f"/projects/{project}",
                                 {"description": _description(text)}, ok=(200,))

    def delete_run(self, project: str, run_id: str) -> Dict[str, Any]:
        """Moves a run to the trash (config ``sys/trashed``); `restore_run`
        takes it back. Nothing is deleted for good. Returns the run."""
        return self._http().json("DELETE", _run_target(project, run_id), ok=(200,))

    def purge_run(self, project: str, run_id: str) -> None:
        """Deletes a run that is in the trash for good: its points, and its
        files no other run shares. The server refuses (ApiError 409) a run
        that is not in the trash, or that other runs fork from."""
        self._http().json("DELETE", _run_target(project, run_id) + "?purge=true", ok=(200,))

    def restore_run(self, project: str, run_id: str) -> Dict[str, Any]:
        """Takes a run out of the trash. Returns the run."""
        return self._http().json("POST", _run_target(project, run_id) + "/restore", {}, ok=(200,))

    def edit_run(self, project: str, run_id: str, *, name: Optional[str] = None,
                 description: Optional[str] = None, add_tags: Union[str, Iterable[str]] = (),
                 remove_tags: Union[str, Iterable[str]] = (),
                 archived: Optional[bool] = None) -> Dict[str, Any]:
        """Changes what is given: the name (``sys/name``), the description
        (``sys/description``, Markdown up to 64 KiB), tags, and whether the
        run is archived (hidden from the runs table unless asked for).
        Returns the run."""
        target = _run_target(project, run_id)
        body: Dict[str, Any] = {}
        if name is not None:
            body["name"] = V.optional_text(name, "name")
        if description is not None:
            body["description"] = _description(description)
        _tag_changes(body, add_tags, remove_tags)
        if _flag(archived, "archived") is not None:
            body["archived"] = archived
        if not body:
            raise ValidationError("edit_run: nothing to change; pass name=, description=, "
                                  "add_tags=, remove_tags= or archived=")
        return self._http().json("PATCH", target, body, ok=(200,))

    def edit_runs(self, project: str, run_ids: Union[str, Iterable[str]], *,
                  add_tags: Union[str, Iterable[str]] = (),
                  remove_tags: Union[str, Iterable[str]] = (),
                  archived: Optional[bool] = None, trashed: Optional[bool] = None) -> int:
        """The same change to many runs: tags, archived, trashed (True:
        to the trash, False: restored). Returns how many runs were updated.

        All or nothing per 1,000 runs: an unknown run id raises ApiError
        (404) and changes nothing in its request; more than 1,000 ids go
        in several requests, and those before a failing one stay applied."""
        V.project_name(project)
        ids: List[str] = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        for rid in ids:
            if not isinstance(rid, str):
                raise ValidationError(f"run ids must be str, got {type(rid).__name__} {rid!r:.80}")
        change: Dict[str, Any] = {}
        _tag_changes(change, add_tags, remove_tags)
        for key, value in (("archived", archived), ("trashed", trashed)):
            if _flag(value, key) is not None:
                change[key] = value
        if not change:
            raise ValidationError("edit_runs: nothing to change; pass add_tags=, remove_tags=, "
                                  "archived= or trashed=")
        updated = 0
        for i in range(0, len(ids), EDIT_BATCH):
            r = self._http().json("POST", f"/projects/{project}/runs/edit",
                                  {"run_ids": ids[i:i + EDIT_BATCH], **change}, ok=(200,))
            updated += int(r["updated"])
        return updated


def _run_target(project: str, run_id: str) -> str:
    V.project_name(project)
    return f"/projects/{project}/runs/{quote(run_id)}"


def _description(text: Any) -> str:
    if not isinstance(text, str):
        raise ValidationError(f"description must be a str, got {type(text).__name__}")
    n = len(V._utf8(text, "description"))
    if n > MAX_DESCRIPTION_BYTES:
        raise ValidationError(f"description is {n:,} bytes; the limit is {MAX_DESCRIPTION_BYTES:,} (64 KiB)")
    return text
