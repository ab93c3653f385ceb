"""Start the web server, a Celery worker and Celery beat together; Ctrl-C stops all three."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from internships.demo import DEFAULT_PASSWORD


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and beat (the zero-setup stack of `make run`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port of the web server")

    def handle(self, *args, addr: str, **options) -> None:
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [
                python, "-m", "celery", "-A", "config", "worker",
                "--pool", "solo", "--loglevel", "INFO", "--hostname", "worker@%h",
            ],
            "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
        }  # fmt: skip
        # Django's development server warns, at every start, not to use it in production; the
        # banner says it once, with what to use instead, so the warning is turned off here.
        environment = {name: dict(os.environ) for name in commands}
        environment["web"]["DJANGO_RUNSERVER_HIDE_WARNING"] = "true"
        processes: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, command in commands.items():
                # Own process groups: the terminal's Ctrl-C reaches only us, and we stop the
                # children in order and wait for each, so nothing is left behind.
                processes[name] = subprocess.Popen(  # noqa: S603
                    command, start_new_session=True, env=environment[name]
                )
            self._banner(addr)
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            self._stop(processes)

    def _stop(self, processes: dict[str, subprocess.Popen]) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.stdout.write("Stopped web, worker and beat.")

    def _banner(self, addr: str) -> None:
        database = connection.vendor
        broker = "Redis" if settings.REDIS_URL else "embedded (file system)"
        lines = [
            "",
            f"  Social-clause compliance tracker: http://{addr}/",
            f"  Database: {database}; broker: {broker}",
            f"  Demo logins (password {DEFAULT_PASSWORD} unless seeded with --password):",
            "    officer       procurement officer (admin)",
            "    manager       manager (admin)",
            "    entreprenor1  contractor user, Vätterstrand Bygg AB",
            "    entreprenor2  contractor user, Jönköpings Entreprenad AB",
            "  Django's development server, for trying the system out; in production run the",
            "  image of docs/DEPLOYMENT.md (gunicorn).",
            "  Press Ctrl-C to stop everything.",
            "",
        ]
        if settings.SITE_URL.rstrip("/") != f"http://{addr}":
            # Links in e-mails (alert digests, password reset) start with SITE_URL.
            lines[-2:-2] = [
                f"  Links in e-mails point to SITE_URL={settings.SITE_URL};",
                f"  start with SITE_URL=http://{addr} to make them point here.",
            ]
        self.stdout.write("\n".join(lines))
