"""A real Ray cluster of several nodes on this machine, for tests, benchmarks and trying the
Ray executor out.

Each node is a ``ray start --block`` process (the first with ``--head``, the others with
``--address``), stopped by its own pid: SIGTERM makes Ray drain the node and stop the
processes it started. Ray resolves 127.0.0.1 to the machine's own address, so the nodes show
that address; nothing leaves the machine. Token authentication is off (``RAY_AUTH_MODE``):
the cluster is this machine's alone, and the calling process is its driver.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

_RAY = Path(sys.executable).parent / "ray"
_STARTUP_S = 180.0  # a loaded machine takes its time to start a node


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:  # the child keeps its own descriptor
        return subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.STDOUT)


@dataclass
class LocalCluster:
    """A head node and any number of further nodes, all on this machine.

    Attributes:
        address: The head's GCS ``host:port`` (for ``--ray-address`` and ``ray.init``).
        cpus_per_node: CPUs each node offers Ray (shards running at once on it).
    """

    address: str
    cpus_per_node: int
    temp: Path
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def start(cls, nodes: int = 2, cpus_per_node: int = 2) -> LocalCluster:
        """Start the head and ``nodes - 1`` further nodes; connect this process as driver."""
        # Short: Ray keeps unix sockets under it, whose paths may not exceed 107 bytes.
        temp = Path(tempfile.mkdtemp(prefix="kr", dir="/tmp"))
        port = _free_port()
        os.environ["RAY_AUTH_MODE"] = "disabled"  # the driver (this process) reads it too
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        cluster = cls(f"127.0.0.1:{port}", cpus_per_node, temp, env)
        try:
            cluster._node(
                "head",
                "--head",
                f"--port={port}",
                "--include-dashboard=false",
                f"--temp-dir={temp}",
            )
            deadline = time.monotonic() + _STARTUP_S
            while not _listening(port):
                cluster._check(deadline)
                time.sleep(0.2)
            import ray

            ray.init(address=cluster.address, logging_level=logging.ERROR, log_to_driver=False)
            for _ in range(nodes - 1):
                cluster.add_node()
            cluster.wait_for(nodes)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _node(self, name: str, *args: str) -> None:
        common = [
            "--block",
            "--node-ip-address=127.0.0.1",
            f"--num-cpus={self.cpus_per_node}",
            "--disable-usage-stats",
        ]
        log = self.temp / f"{name}.log"
        self.processes.append(_start([str(_RAY), "start", *args, *common], self.env, log))

    def _check(self, deadline: float) -> None:
        for i, process in enumerate(self.processes):
            if process.poll() is not None or time.monotonic() > deadline:
                logs = sorted(self.temp.glob("*.log"))
                text = "\n".join(f.read_text(errors="replace")[-2000:] for f in logs)
                raise RuntimeError(f"Ray node {i} did not start:\n{text}")

    def add_node(self) -> None:
        """Start one more node joining the head (``ray start --address``)."""
        self._node(f"node{len(self.processes)}", f"--address={self.address}")

    def wait_for(self, nodes: int) -> None:
        """Return when ``nodes`` nodes are alive."""
        import ray

        def alive() -> list[object]:
            found: list[dict[str, object]] = ray.nodes()  # type: ignore[no-untyped-call]
            return [node for node in found if node["Alive"]]

        deadline = time.monotonic() + _STARTUP_S
        while len(alive()) < nodes:
            self._check(deadline)
            time.sleep(0.5)

    def stop(self) -> None:
        """Disconnect, then stop every node by its pid, newest first."""
        import ray

        ray.shutdown()
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.temp, ignore_errors=True)


def shard_workers() -> list[int]:
    """Pids of this machine's Ray workers computing a kilab shard right now (Ray titles a
    worker process after its task: ``ray::kilab-shard``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"ray::kilab-shard"):
            pids.append(int(entry.name))
    return pids
