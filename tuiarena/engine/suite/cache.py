"""Opt-in response cache (``tuiarena suite --cache``): re-running a suite does not pay twice.

Key: sha256 of the endpoint (its name and base URL), the model, the exact messages and the request
parameters. Only complete responses (status ``done``) are stored, one JSON file per key under
``<cache_dir>/responses/ab/abcdef....json`` (mode 0600, written atomically; the cache is
disposable, so no fsync). A hit is returned as a new ``ResponseDone`` with ``cached=True`` carrying
the text, tokens, cost and timings measured when it was first stored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tuiarena.model import Message, Params, ResponseDone, from_record
from tuiarena.store.paths import write_private

_DROP = ("run_id", "response_id", "t_wall", "cached", "type")


def cache_key(model_id: str, messages: list[Message], params: Params | dict[str, Any], base_url: str = "") -> str:
    p = params.to_dict() if isinstance(params, Params) else dict(params)
    material = {"model": model_id, "base_url": base_url, "messages": messages, "params": p}
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, directory: Path | str | None = None) -> None:
        if directory is None:
            from tuiarena.store.paths import cache_dir

            directory = cache_dir() / "responses"
        self.dir = Path(directory)
        self.hits = self.misses = self.stored = 0

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def get(self, key: str, run_id: str, response_id: str) -> ResponseDone | None:
        try:
            rec = json.loads(self._path(key).read_text(encoding="utf-8"))
            rec.update(type="response", run_id=run_id, response_id=response_id, cached=True)
            done = from_record(rec)
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return done  # type: ignore[return-value]

    def put(self, key: str, rec: ResponseDone) -> None:
        if rec.status != "done" or rec.cached:
            return
        data = {k: v for k, v in rec.to_record().items() if k not in _DROP}
        write_private(self._path(key), json.dumps(data, ensure_ascii=False), durable=False)
        self.stored += 1
