"""`make run`'s process manager: web, worker and beat start together and Ctrl-C stops them all."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes_with(var_dir: Path) -> list[int]:
    """Pids of processes whose environment points at ``var_dir`` (children of the stack)."""
    marker = f"VAR_DIR={var_dir}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to find child processes")
def test_runstack_serves_the_app_and_ctrl_c_stops_every_process(tmp_path):
    env = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update({"VAR_DIR": str(tmp_path), "DEBUG": "1", "PYTHONUNBUFFERED": "1"})
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    port = _free_port()
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", "--addr", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2) as r:
                    health = r.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert health is not None, "the web server did not answer within 60 s"
        assert '"database": "ok"' in health and '"broker": "ok"' in health
        assert len(_processes_with(tmp_path)) >= 4  # runstack, web, worker, beat

        stack.send_signal(signal.SIGINT)
        output, _ = stack.communicate(timeout=30)
    finally:
        if stack.poll() is None:
            stack.kill()
    assert stack.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "entreprenor1" in output
    time.sleep(0.5)
    assert _processes_with(tmp_path) == []
