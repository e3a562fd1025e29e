"""Jupyter REST + kernel websocket client used by the probes (httpx, websocket-client).

Every wait is multiplied by PROBE_SLOWDOWN (set by the checks under emulation, where processes run
several times slower)."""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterator

import httpx
import websocket


SLOWDOWN = float(os.environ.get("PROBE_SLOWDOWN", "1"))


class Jupyter:
    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.token = token
        headers = {"Authorization": f"token {token}"}
        self.http = httpx.Client(base_url=self.base, headers=headers, timeout=30 * SLOWDOWN)

    def wait_ready(self, seconds: float) -> None:
        seconds *= SLOWDOWN
        deadline = time.monotonic() + seconds
        while True:
            try:
                if self.http.get("/api/status").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"JupyterLab at {self.base} did not answer /api/status within {seconds:.0f}s")
            time.sleep(1)

    def execute(self, kernel: str, code: str, seconds: float = 120) -> str:
        """Run code in a new kernel of the given spec over its websocket; returns its stdout."""
        with self.kernel(kernel) as kid:
            return self.run(kid, code, seconds)

    @contextlib.contextmanager
    def kernel(self, kernel: str) -> Iterator[str]:
        """A new kernel of the given spec for several run()s; shut down on leaving."""
        kid = self.http.post("/api/kernels", json={"name": kernel}).raise_for_status().json()["id"]
        try:
            yield kid
        finally:
            self.http.delete(f"/api/kernels/{kid}")

    def run(self, kid: str, code: str, seconds: float = 120) -> str:
        """Run code in kernel kid over its websocket; returns its stdout."""
        seconds *= SLOWDOWN
        url = self.base.replace("http", "ws", 1) + f"/api/kernels/{kid}/channels?token={self.token}"
        ws = websocket.create_connection(url, timeout=seconds)
        msg_id, session = uuid.uuid4().hex, uuid.uuid4().hex
        ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "session": session,
                        "username": "probe",
                        "msg_type": "execute_request",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "channel": "shell",
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": False,
                        "user_expressions": {},
                        "allow_stdin": False,
                    },
                }
            )
        )
        out, deadline = [], time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream" and content.get("name") == "stdout":
                    out.append(content["text"])
                elif kind == "error":
                    raise SystemExit(f"kernel {kid} raised {content['ename']}: {content['evalue']}")
                elif kind == "status" and content["execution_state"] == "idle":
                    return "".join(out)
        except websocket.WebSocketTimeoutException:
            pass
        finally:
            ws.close()
        raise SystemExit(f"kernel {kid} did not finish within {seconds:.0f}s (stdout so far: {''.join(out)!r})")
