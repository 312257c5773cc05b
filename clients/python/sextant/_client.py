"""`Client`: reading runs, attributes, series and files back.

Results are plain Python structures (lists and dicts); each result type
also has ``to_pandas()`` when pandas is installed. Floats that are not
finite come back as float("nan") / float("inf").
"""
from __future__ import annotations

import base64
import os
import re
import secrets
import sys
import threading
import urllib.parse
from array import array
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from ._http import Http, api_float, quote, resolve_token, resolve_url
from ._manage import RunManagement, visibility
from . import _validate as V

_MAX_RUNS_PAGE = 10_000
_SERIES_PAGE = 100_000
_LIST_PAGE = 10_000  # the most a paged list endpoint returns at once


def _pandas() -> Any:
    try:
        import pandas  # type: ignore[import-untyped]  # noqa: PLC0415 - optional
    except ImportError:
        raise ImportError("to_pandas() needs pandas: pip install pandas") from None
    return pandas


class Runs(List[Dict[str, Any]]):
    """The runs table: a list of run dicts (``run_id``, ``name``, ``state``,
    ... and ``attributes``: {path: value}). `total` counts every run that
    matched the filter. `unknown_paths` maps each path the filter or sort
    named that no run of the project has to the closest one it has (or
    None): a filter on ``config/lr`` when the config is ``lr`` matches
    nothing, and this says why."""

    total: int = 0
    unknown_paths: Dict[str, Optional[str]] = {}

    def to_pandas(self) -> Any:
        """One row per run: the run's fields, then one column per attribute."""
        pd = _pandas()
        rows = []
        for r in self:
            row = {k: v for k, v in r.items() if k != "attributes"}
            row.update(r.get("attributes", {}))
            rows.append(row)
        return pd.DataFrame(rows)


class Attributes(Dict[str, Dict[str, Any]]):
    """{path: attribute dict} of one run, as the server describes each
    (``type``, ``value`` or ``last_value``/``last_step``/``count``, ...)."""

    def to_pandas(self) -> Any:
        pd = _pandas()
        return pd.DataFrame([{"path": p, **a} for p, a in self.items()])


class SeriesSet(List[Dict[str, Any]]):
    """One entry per requested run: ``{"run_id", "type", "steps", "values",
    "timestamps"}`` for raw points, or ``{"run_id", "type", "buckets": {...}}``
    (index, first_step, last_step, min, max, mean, count, nan_count, last)
    when downsampled."""

    def by_run(self) -> Dict[str, Dict[str, Any]]:
        return {s["run_id"]: s for s in self}

    def to_pandas(self) -> Any:
        """Long form: one row per point (run_id, step, value, timestamp) or
        per bucket (run_id and the bucket columns)."""
        pd = _pandas()
        frames = []
        for s in self:
            if "buckets" in s:
                df = pd.DataFrame(s["buckets"])
            else:
                df = pd.DataFrame({"step": s["steps"], "value": s["values"],
                                   "timestamp": pd.to_datetime(s["timestamps"], unit="s", utc=True)})
            df.insert(0, "run_id", s["run_id"])
            frames.append(df)
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)


def _floats(xs: Iterable[Any]) -> List[float]:
    return [api_float(x) for x in xs]


def _column(text: str, code: str) -> List[Any]:
    """A base64 column of the series API ("encoding": "base64"): little-endian
    int64 ("q") or float64 ("d")."""
    a = array(code, base64.b64decode(text))
    if sys.byteorder == "big":
        a.byteswap()
    return a.tolist()


def _attr_value(a: Dict[str, Any]) -> Dict[str, Any]:
    t = a.get("type")
    if t in ("float", "float_series"):
        for k in ("value", "last_value"):
            if k in a:
                a[k] = api_float(a[k])
    return a


class Client(RunManagement):
    """Reads from a Sextant server, and manages runs (_manage.py).

    >>> c = sextant.Client()                       # doctest: +SKIP
    >>> c.runs("team/llm", filter="lr < 1e-3", sort="-train/loss", limit=10)  # doctest: +SKIP

    `url` defaults to $SEXTANT_URL (else http://127.0.0.1:5050), `token` to
    $SEXTANT_API_TOKEN. Thread-safe: each thread gets its own connection.
    """

    def __init__(self, *, url: Optional[str] = None, token: Optional[str] = None,
                 timeout: float = 120.0) -> None:
        self.url = resolve_url(url)
        self._token = resolve_token(token)
        self._timeout = timeout
        self._local = threading.local()

    def _http(self) -> Http:
        h = getattr(self._local, "http", None)
        if h is None:
            h = self._local.http = Http(self.url, self._token, timeout=self._timeout)
        return h

    def close(self) -> None:
        h = getattr(self._local, "http", None)
        if h is not None:
            h.close()
            self._local.http = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        return self._http().json("GET", "/health")

    def projects(self) -> List[Dict[str, Any]]:
        """Every project: ``{"project", "workspace", "name", "runs", "created_at"}``
        (all pages of the server's paged list)."""
        return self._paged("/projects", "projects")

    def run(self, project: str, run_id: str) -> Dict[str, Any]:
        """One run object (state, fork parent, children, ...)."""
        V.project_name(project)
        return self._http().json("GET", f"/projects/{project}/runs/{quote(run_id)}")

    def runs(self, project: str, *, filter: Optional[str] = None,
             columns: Optional[Sequence[str]] = None,
             sort: Optional[Union[str, Sequence[str]]] = None,
             limit: Optional[int] = None, offset: int = 0,
             trashed: str = "hide", archived: str = "hide") -> Runs:
        """The runs table of a project (docs/query.md for `filter`).

        `sort`: "path" / "-path" (descending), or a list of them.
        `limit`: at most this many runs (None: every run, fetched in pages).
        `trashed`, `archived`: "hide" such runs (the default), list "only"
        them, or "include" them.
        """
        V.project_name(project)
        shown = {k: visibility(v, k) for k, v in (("trashed", trashed), ("archived", archived))
                 if v != "hide"}  # the defaults are not sent: older servers accept the request
        sort_keys: List[Dict[str, str]] = []
        for s in ([sort] if isinstance(sort, str) else (sort or [])):
            desc = s.startswith("-")
            sort_keys.append({"path": s.lstrip("+-"), "order": "desc" if desc else "asc"})
        out = Runs()
        while True:
            page = _MAX_RUNS_PAGE if limit is None else min(_MAX_RUNS_PAGE, limit - len(out))
            body: Dict[str, Any] = {"limit": page, "offset": offset + len(out)}
            if filter:
                body["filter"] = filter
            if columns is not None:
                body["columns"] = list(columns)
            if sort_keys:
                body["sort"] = sort_keys
            body.update(shown)
            r = self._http().json("POST", f"/projects/{project}/runs/query", body, ok=(200,))
            rows = r["runs"]
            for row in rows:
                attrs = row.get("attributes") or {}
                for k, v in attrs.items():
                    if isinstance(v, str) and v in ("NaN", "Infinity", "-Infinity"):
                        attrs[k] = api_float(v)
            out.extend(rows)
            out.total = r["total"]
            out.unknown_paths = {u["path"]: u["did_you_mean"] for u in r.get("unknown_paths") or []}
            if not rows or len(out) + offset >= r["total"] or (limit is not None and len(out) >= limit):
                return out

    def attributes(self, project: str, run_id: str, *, pattern: Optional[str] = None) -> Attributes:
        """Every attribute of a run (or those whose path matches the RE2
        regex `pattern` anywhere), by path; the server's pages are followed."""
        V.project_name(project)
        target = f"/projects/{project}/runs/{quote(run_id)}/attributes"
        query = {} if pattern is None else {"pattern": pattern}
        return Attributes((a["path"], _attr_value(a)) for a in self._paged(target, "attributes", query))

    def _paged(self, target: str, key: str,
               query: Optional[Dict[str, str]] = None) -> List[Dict[str, Any]]:
        """Every item of a paged list endpoint: follows ``next_page_token``
        until it is null. A page may be empty and still not be the last
        (with `pattern`, the server scans a bounded number of items)."""
        out: List[Dict[str, Any]] = []
        token: Optional[str] = None
        while True:
            params = dict(query or {}, limit=str(_LIST_PAGE))
            if token is not None:
                params["page_token"] = token
            sep = "&" if "?" in target else "?"
            r = self._http().json("GET", target + sep + "&".join(
                f"{k}={quote(v, safe='')}" for k, v in params.items()))
            out.extend(r[key])
            token = r.get("next_page_token")
            if token is None:
                return out

    def series(self, project: str, run_ids: Union[str, Sequence[str]], path: str, *,
               step_range: Optional[Tuple[Optional[float], Optional[float]]] = None,
               time_range: Optional[Tuple[Optional[float], Optional[float]]] = None,
               buckets: Optional[int] = None, lineage: bool = True,
               exact_buckets: bool = False) -> SeriesSet:
        """One series of one or more runs.

        Without `buckets`: every raw point (paged automatically). With
        `buckets` (1-100,000): the range cut into buckets with
        min/max/mean/count/last each. Step-bucket edges are snapped to the
        server's stored 128-point blocks (each bucket reports its own
        first_step/last_step; counts, extremes and spikes are exact), which
        keeps a chart of a billion points as fast as a short one;
        `exact_buckets=True` cuts equal-width buckets instead. A forked run
        includes its ancestors' points up to each fork step unless
        `lineage=False`.
        """
        V.project_name(project)
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        base: Dict[str, Any] = {"path": path, "lineage": lineage}
        if step_range is not None:
            base["step_range"] = list(step_range)
        if time_range is not None:
            base["time_range"] = list(time_range)
        if buckets is not None:
            base["buckets"] = buckets
            if exact_buckets:
                base["exact_buckets"] = True
            r = self._post_series(project, {**base, "runs": ids})
            out = SeriesSet()
            for s in r:
                b = s.get("buckets") or {}
                for k in ("min", "max", "mean", "last"):
                    if k in b:
                        b[k] = _floats(b[k])
                out.append({"run_id": s["run_id"], "type": s.get("type"), "buckets": b})
            return out
        result: Dict[str, Dict[str, Any]] = {rid: {"run_id": rid, "type": None, "steps": [], "values": [], "timestamps": []}
                  for rid in ids}
        pending: List[Tuple[str, Any]] = []
        base["encoding"] = "base64"  # binary columns: no decimal text to parse
        first = self._post_series(project, {**base, "runs": ids, "limit": _SERIES_PAGE})
        for s in first:
            self._append_points(result[s["run_id"]], s)
            if s.get("next_after_step") is not None:
                pending.append((s["run_id"], s["next_after_step"]))
        for rid, after in pending:
            while after is not None:
                page = self._post_series(project, {**base, "runs": [rid], "limit": _SERIES_PAGE,
                                                   "after_step": after})
                s = page[0]
                self._append_points(result[rid], s)
                after = s.get("next_after_step")
        return SeriesSet(result[rid] for rid in ids)

    def _post_series(self, project: str, body: Dict[str, Any]) -> List[Dict[str, Any]]:
        return self._http().json("POST", f"/projects/{project}/series", body, ok=(200,))["series"]

    @staticmethod
    def _append_points(acc: Dict[str, Any], s: Dict[str, Any]) -> None:
        if s.get("type"):
            acc["type"] = s["type"]
        if "steps_b64" in s:
            steps = _column(s["steps_b64"], "q")
            scale = s.get("step_scale", 1)
            acc["steps"].extend(steps if scale == 1 else [x / scale for x in steps])
            acc["values"].extend(_column(s["values_b64"], "d") if "values_b64" in s else s["values"])
            acc["timestamps"].extend(_column(s["timestamps_b64"], "d"))
            return
        acc["steps"].extend(s["steps"])
        vals = s["values"]
        acc["values"].extend(_floats(vals) if s.get("type") in (None, "float_series") else vals)
        acc["timestamps"].extend(s.get("timestamps", []))

    def download(self, project: str, run_id: str, path: str,
                 destination: Union[str, "os.PathLike[str]"] = ".", *,
                 step: Optional[float] = None) -> str:
        """Downloads a file attribute (or one point of a file series with
        `step`). `destination` is a file path, or an existing folder to put
        the file in under its original name. Returns the file's path."""
        V.project_name(project)
        target = f"/projects/{project}/runs/{quote(run_id)}/files/{quote(path, safe='/')}"
        if step is not None:
            target += "?step=" + quote(V.step_text(V.step_value(step)))
        dest = os.fspath(destination)
        folder = dest if os.path.isdir(dest) else (os.path.dirname(os.path.abspath(dest)) or ".")
        fd, tmp = _create_temp(folder)
        try:
            with os.fdopen(fd, "wb") as f:
                r = self._http().request("GET", target, stream_to=f)
            if r.status != 200:
                raise r.error("GET", target)
            if os.path.isdir(dest):
                name = _disposition_name(r.headers.get("Content-Disposition")) or path.rsplit("/", 1)[-1]
                dest = os.path.join(dest, name)
            os.replace(tmp, dest)
        except BaseException:
            try:
                os.remove(tmp)
            except OSError:
                pass
            raise
        return dest


def _create_temp(folder: str) -> Tuple[int, str]:
    """A new hidden file in `folder`, made with mode 0666 so that the umask
    applies as to any new file (mkstemp's 0600 would stay after the rename)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f".sextant-download-{secrets.token_hex(8)}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def _disposition_name(header: Optional[str]) -> Optional[str]:
    """The file name of a Content-Disposition header (RFC 6266): the
    RFC 8187 ``filename*`` (e.g. ``UTF-8''%C3%BC.txt``) when present and
    decodable, else ``filename``; reduced to a safe base name, or None."""
    if not header:
        return None
    params = _disposition_params(header)
    name = None
    if "filename*" in params:
        name = _ext_value(params["filename*"])
    if name is None:
        name = params.get("filename")
        if name is None:
            return None
        # http.client reads header bytes as Latin-1; a server or proxy that
        # sends the name as raw UTF-8 (no filename*) means those bytes.
        try:
            name = name.encode("latin-1").decode("utf-8")
        except UnicodeError:
            pass
    # Only the last path component, on any platform; no NUL or control characters.
    name = re.split(r"[/\\]", name)[-1]
    name = "".join("_" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in name)
    return name if name not in ("", ".", "..") else None


def _disposition_params(header: str) -> Dict[str, str]:
    """The parameters after the disposition type, names lower-cased, values
    unquoted (quoted-string escapes undone). The first of a name wins."""
    params: Dict[str, str] = {}
    i, n = header.find(";"), len(header)
    if i < 0:
        return params
    while i < n:
        i += 1  # past ';'
        eq = header.find("=", i)
        semi = header.find(";", i)
        if eq < 0 or (0 <= semi < eq):
            if semi < 0:
                break
            i = semi  # a parameter without a value: skipped
            continue
        key = header[i:eq].strip().lower()
        j = eq + 1
        while j < n and header[j] in " \t":
            j += 1
        if j < n and header[j] == '"':
            out = []
            j += 1
            while j < n and header[j] != '"':
                if header[j] == "\\" and j + 1 < n:
                    j += 1
                out.append(header[j])
                j += 1
            value = "".join(out)
            end = header.find(";", j)
        else:
            end = header.find(";", j)
            value = header[j:end if end >= 0 else n].strip()
        if key and key not in params:
            params[key] = value
        if end < 0:
            break
        i = end
    return params


def _ext_value(value: str) -> Optional[str]:
    """Decodes an RFC 8187 ext-value (charset'language'percent-encoded);
    None when it does not parse or the charset is not UTF-8 or ISO-8859-1."""
    parts = value.split("'", 2)
    if len(parts) != 3:
        return None
    charset = parts[0].strip().lower()
    if charset not in ("utf-8", "iso-8859-1"):
        return None
    try:
        return urllib.parse.unquote_to_bytes(parts[2]).decode(charset)
    except UnicodeDecodeError:
        return None
