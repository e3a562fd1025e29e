"""A raw GraphQL session on the engine, as the `dagger` CLI holds one: `dagger session` (the
engine environment's _EXPERIMENTAL_DAGGER_CLI_BIN) serves the session's API on a loopback port;
queries go there over HTTP with the session token. No SDK in between, so a served module's
functions are called with exactly the queries `dagger call` sends."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import httpx


class QueryError(Exception):
    """The engine answered with errors (the first one's message is the exception's text)."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(errors[0].get("message", str(errors[0])))
        self.errors = errors


class Session:
    def __init__(self, timeout: float = 900):
        cli = os.environ["_EXPERIMENTAL_DAGGER_CLI_BIN"]
        self._proc = subprocess.Popen(
            [cli, "session"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert self._proc.stdout is not None
        params = json.loads(self._proc.stdout.readline())
        self._http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{params['port']}",
            auth=(params["session_token"], ""),
            timeout=timeout,
        )

    async def query(self, text: str, **variables: Any) -> dict[str, Any]:
        response = await self._http.post("/query", json={"query": text, "variables": variables})
        body = response.json()
        if body.get("errors"):
            raise QueryError(body["errors"])
        return body["data"]

    async def close(self) -> None:
        await self._http.aclose()
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
