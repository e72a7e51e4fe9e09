"""A real local Ray cluster (`ray start --head` on 127.0.0.1, free ports, 2 CPUs) receives a `ray job submit` of
ray_driver.py, which imports the plug-in into real verl and writes a run directory; the studio's schemas must
accept that directory. The test starts the head itself and stops it, and checks that no Ray process is left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

from support import CLI, ENGINE_DIR, MATH_RULES, check_run_dir, require_cli  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RAY = os.path.join(os.path.dirname(sys.executable), "ray")
PORT_FLAGS = ["--port", "--dashboard-port", "--ray-client-server-port", "--node-manager-port", "--object-manager-port",
              "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port", "--metrics-export-port",
              "--runtime-env-agent-port"]


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def ray_processes(temp_dir: str, session: int) -> list[int]:
    """Pids of the head's processes: in its session (started with a new one), or naming its temp dir on the
    command line (Ray passes it to what it starts, some of which rename themselves with setproctitle)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and (temp_dir.encode() in cmdline or int(fields[3]) == session):
            found.append(int(pid))
    return found


class RayJob(unittest.TestCase):
    def setUp(self) -> None:
        require_cli(self)
        # Short: Ray's Unix sockets live under it and their paths are limited to 107 bytes.
        self.temp = tempfile.mkdtemp(prefix="bnpo-ray-", dir="/tmp")
        self.run_dir = os.path.join(tempfile.mkdtemp(prefix="bnpo-rayrun-"), "run")
        ports = free_ports(len(PORT_FLAGS))
        self.dashboard = ports[1]
        worker = 20000 + (os.getpid() % 400) * 100
        args = [RAY, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--dashboard-host", "127.0.0.1",
                "--include-dashboard", "true", "--num-cpus", "2", "--num-gpus", "0", "--disable-usage-stats",
                "--temp-dir", self.temp, "--min-worker-port", str(worker), "--max-worker-port", str(worker + 99)]
        for flag, port in zip(PORT_FLAGS, ports):
            args += [flag, str(port)]
        self.log = open(os.path.join(self.temp, "head.log"), "w", encoding="utf-8")
        self.head = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.addCleanup(self.stop_head)
        self.wait_for_dashboard()

    def wait_for_dashboard(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.dashboard}/api/version"
        while time.monotonic() < deadline:
            if self.head.poll() is not None:
                self.fail(f"ray start exited {self.head.returncode}: {self.head_log()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(2)
        self.fail(f"Ray's dashboard did not answer on {url} within {timeout} s: {self.head_log()}")

    def head_log(self) -> str:
        self.log.flush()
        with open(os.path.join(self.temp, "head.log"), encoding="utf-8") as f:
            return f.read()[-2000:]

    def stop_head(self) -> None:
        if self.head.poll() is None:
            os.killpg(self.head.pid, signal.SIGTERM)  # `ray start --block` stops its cluster on SIGTERM
            try:
                self.head.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(self.head.pid, signal.SIGKILL)
                self.head.wait()
        deadline = time.monotonic() + 60
        while ray_processes(self.temp, self.head.pid) and time.monotonic() < deadline:
            time.sleep(1)
        left = ray_processes(self.temp, self.head.pid)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()
        shutil.rmtree(self.temp, ignore_errors=True)
        shutil.rmtree(os.path.dirname(self.run_dir), ignore_errors=True)
        self.assertEqual(left, [], "Ray processes were left running after the head stopped (killed now)")

    def test_a_submitted_driver_writes_a_run_directory_the_studio_reads(self) -> None:
        env_vars = {
            "PYTHONPATH": ENGINE_DIR,
            "BNPO_RUN_DIR": self.run_dir,
            "BNPO_RULES_FILE": MATH_RULES,
            "BNPO_CLI": CLI,
            "BNPO_SAMPLE_EVERY": "1",
            "VERL_FORCE_DEVICE": "cpu",
        }
        done = subprocess.run(
            [RAY, "job", "submit", "--address", f"http://127.0.0.1:{self.dashboard}", "--submission-id",
             "bnpo-ray-test", "--runtime-env-json", json.dumps({"env_vars": env_vars}), "--",
             sys.executable, os.path.join(HERE, "ray_driver.py")],
            capture_output=True, text=True, timeout=900,
        )
        output = done.stdout + done.stderr
        self.assertEqual(done.returncode, 0, output[-3000:])
        self.assertIn("bnpo ray driver: job", output)
        self.assertIn("succeeded", output.lower(), output[-3000:])
        summary = check_run_dir(self, self.run_dir)
        self.assertEqual((summary["run"]["status"], summary["run"]["step"]), ("completed", 2))
        self.assertEqual(summary["run"]["rules"], ["accuracy", "format"])
        self.assertEqual(summary["records"], {"metrics": 2, "groups": 2, "samples": 4})
        with open(os.path.join(self.run_dir, "metrics.jsonl"), encoding="utf-8") as f:
            first = json.loads(f.readline())
        self.assertEqual(first["rewards"], {"accuracy": 0.5, "format": 0.625})


if __name__ == "__main__":
    unittest.main()
