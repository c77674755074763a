#!/usr/bin/env python3
"""hypnic's macro benchmarks, each against its ceiling or peer in the same run (called by bench/run.sh).

Prints one `name value unit` line per figure on stdout; progress goes to stderr. Figures:
replay vs the Python json peer (and the parsing half of the replay alone), live ingest vs mosquitto_sub, CPU per hour of data, idle wake-ups,
peak RSS per number of sleepers, and replay memory for captures of one and two nights.
"""
import argparse
import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_CONFIG = os.path.join(HERE, "..", "tests", "data", "sim", "hypnic.yaml")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def emit(name, value, unit):
    if isinstance(value, float):
        value = f"{value:.4g}" if abs(value) < 1e6 else f"{value:.0f}"
    print(f"{name} {value} {unit}", flush=True)


def run_timed(argv, **kw):
    """Runs argv to completion; returns (wall s, rusage of that child)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, **kw)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited with {p.returncode}")
    return wall, ru


def proc_status(pid, key):
    """A kB or count field of /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def cpu_s(pid):
    """utime + stime of the whole process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ctx_switches(pid, only_main=False):
    """Voluntary and involuntary context switches summed over every thread (each is one wake-up);
    only_main: hypnicd's own thread (the io_context), without paho's send and receive threads."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        if only_main and int(tid) != pid:
            continue
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def free_port():
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 1883:
            return port


def wait_for(pred, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.005)
    raise TimeoutError(f"timed out waiting for {what}")


class Broker:
    def __init__(self, work):
        self.port = free_port()
        conf = os.path.join(work, "mosquitto.conf")
        with open(conf, "w") as f:
            # Large queues so that a fast publisher is never cut short by the broker's defaults.
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 1000000\nmax_inflight_messages 0\n")
        self.log = open(os.path.join(work, "mosquitto.log"), "w")
        self.proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=self.log, stderr=subprocess.STDOUT)
        def up():
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, 10, "mosquitto")
        self.url = f"tcp://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        self.log.close()


class Daemon:
    """hypnicd run with a generated configuration; stderr goes to a file we poll."""

    def __init__(self, hypnicd, work, name, broker, sleepers, sensors=("accel",)):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        cfg = [
            "version: 1", "mqtt:", f"  url: {broker.url}", "  base_topic: hypnic",
            f"  client_id: hypnic-bench-{name}-{os.getpid()}", "homeassistant:", "  enabled: false",
            "timezone: UTC", f"state_dir: {self.dir}", "log:", "  level: info", "sleepers:",
        ]
        for i in range(sleepers):
            sid = "alex" if sleepers == 1 else f"s{i}"
            cfg += [f"  - id: {sid}", "    sensors:"]
            cfg += [f"      - {{kind: accel, topic: bed/{sid}/accel, format: hypnic}}"]
            if "presence" in sensors:
                cfg += [f"      - {{kind: presence, topic: bed/{sid}/presence, format: plain}}"]
            cfg += ["    winddown:", "      enabled: false"]
        self.config = os.path.join(self.dir, "hypnic.yaml")
        with open(self.config, "w") as f:
            f.write("\n".join(cfg) + "\n")
        self.err_path = os.path.join(self.dir, "stderr.log")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen([hypnicd, "run", "--config", self.config], stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        self.pid = self.proc.pid
        wait_for(lambda: "connected to" in self.stderr(), 30, f"{name} to connect")

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def sentinel(self, broker, tag):
        """Publishes a log for an unknown sleeper after everything else and waits until the daemon
        rejects it: MQTT keeps one publisher's order, and the data publisher finished first."""
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                        "-t", f"hypnic/{tag}/log/caffeine", "-m", "1"], check=True)
        wait_for(lambda: tag in self.stderr(), 300, f"the daemon to reach {tag}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


def simulate(hypnicd, out, nights):
    start = (datetime.date.today() - datetime.timedelta(days=nights)).isoformat()
    subprocess.run([hypnicd, "simulate", "--nights", str(nights), "--hz", "100", "--start", start, "--out", out],
                   check=True)


def bench_replay(a, work, capture):
    size_mb = os.path.getsize(capture) / 1e6
    best_h = best_p = float("inf")
    cpu_h = cpu_p = cpu_q = float("inf")  # user + system CPU s: fairer than wall time on a busy machine
    rss_kb = 0
    peer_out = os.path.join(work, "peer.out")
    parse_out = os.path.join(work, "parse_only.out")
    for i in range(a.runs):
        out = os.path.join(work, "replay.out")
        w, ru = run_timed([a.hypnicd, "replay", "--config", SIM_CONFIG, "--capture", capture, "--out", out])
        best_h = min(best_h, w)
        cpu_h = min(cpu_h, ru.ru_utime + ru.ru_stime)
        rss_kb = max(rss_kb, ru.ru_maxrss)
        with open(peer_out, "w") as f:
            w, ru = run_timed([sys.executable, os.path.join(HERE, "peer_parse.py"), capture], stdout=f)
        best_p = min(best_p, w)
        cpu_p = min(cpu_p, ru.ru_utime + ru.ru_stime)
        # The parsing half of the replay alone (capture lines and accel payloads, nothing detected),
        # so the replay's time splits into parsing and detection with figures from this same run.
        with open(parse_out, "w") as f:
            _, ru = run_timed([a.parse_only, capture], stdout=f)
        cpu_q = min(cpu_q, ru.ru_utime + ru.ru_stime)
        log(f"replay run {i + 1}/{a.runs}: hypnicd {best_h:.3f} s, python {best_p:.3f} s (best so far)")
    with open(peer_out) as f, open(parse_out) as g:
        peer_counts, parse_counts = f.read().strip(), g.read().strip()
    if peer_counts != parse_counts:
        raise RuntimeError(f"parse-only and the Python peer did different work: {parse_counts!r} vs {peer_counts!r}")
    emit("replay_runs", a.runs, "runs")
    emit("replay_capture_size", size_mb, "MB")
    emit("replay_hypnicd_best", best_h, "s")
    emit("replay_python_json_best", best_p, "s")
    emit("replay_time_ratio", best_h / best_p, "hypnicd/python")
    emit("replay_throughput", size_mb / best_h, "MB/s")
    emit("replay_python_throughput", size_mb / best_p, "MB/s")
    emit("replay_hypnicd_cpu_best", cpu_h, "s")
    emit("replay_python_json_cpu_best", cpu_p, "s")
    emit("replay_cpu_ratio", cpu_h / cpu_p, "hypnicd/python")
    emit("replay_cpu_throughput", size_mb / cpu_h, "MB/cpu_s")
    emit("replay_parse_only_cpu_best", cpu_q, "s")
    emit("replay_parse_only_cpu_ratio", cpu_q / cpu_p, "parse_only/python")
    emit("replay_parse_only_cpu_throughput", size_mb / cpu_q, "MB/cpu_s")
    emit("replay_parse_share", min(cpu_q / cpu_h, 1.0), "parse_only/replay")
    return rss_kb


def bench_stream(a, work, capture1, rss1):
    capture2 = os.path.join(work, "two_nights.jsonl")
    simulate(a.hypnicd, capture2, 2)
    _, ru = run_timed([a.hypnicd, "replay", "--config", SIM_CONFIG, "--capture", capture2, "--out", os.devnull])
    emit("replay_peak_rss_1_night", rss1 / 1024, "MB")
    emit("replay_peak_rss_2_nights", ru.ru_maxrss / 1024, "MB")
    emit("replay_rss_growth_2x_capture", ru.ru_maxrss / rss1, "ratio")


def bench_ingest(a, work, broker, capture):
    n = a.messages
    flood = [a.flood, broker.url, capture, "--only", "bed/alex/accel", "--limit", str(n), "--qos", "1"]
    best_sub = best_d = float("inf")
    cpu_per_msg = float("inf")
    wakeups = None
    for i in range(a.runs):
        # Ceiling: mosquitto_sub alone drains the same stream at QoS 1.
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                                "-t", "bed/alex/accel", "-C", str(n)], stdout=subprocess.DEVNULL)
        time.sleep(0.5)  # subscribed
        t0 = time.perf_counter()
        subprocess.run(flood, check=True, stdout=subprocess.DEVNULL)
        sub.wait(300)
        best_sub = min(best_sub, time.perf_counter() - t0)

        # hypnicd run with the full pipeline on the same stream (fresh state: no duplicates).
        d = Daemon(a.hypnicd, work, f"ingest{i}", broker, 1, ("accel", "presence"))
        time.sleep(0.5)
        c0 = cpu_s(d.pid)
        t0 = time.perf_counter()
        subprocess.run(flood, check=True, stdout=subprocess.DEVNULL)
        d.sentinel(broker, f"end{i}")
        best_d = min(best_d, time.perf_counter() - t0)
        cpu_per_msg = min(cpu_per_msg, (cpu_s(d.pid) - c0) / n)
        if wakeups is None:
            # Idle: no data, no clients talking; count every thread's context switches.
            time.sleep(2)
            s0, m0 = ctx_switches(d.pid), ctx_switches(d.pid, True)
            time.sleep(a.idle_s)
            wakeups = (ctx_switches(d.pid) - s0) / a.idle_s
            wakeups_main = (ctx_switches(d.pid, True) - m0) / a.idle_s
        d.stop()
        log(f"ingest run {i + 1}/{a.runs}: mosquitto_sub {n / best_sub:.0f} msg/s, hypnicd {n / best_d:.0f} msg/s (best)")
    emit("ingest_runs", a.runs, "runs")
    emit("ingest_messages", n, "messages")
    emit("ingest_mosquitto_sub", n / best_sub, "msg/s")
    emit("ingest_hypnicd", n / best_d, "msg/s")
    emit("ingest_ratio", best_sub / best_d, "hypnicd/mosquitto_sub")
    # Each message is 1 s of 100 Hz data: 3600 messages are one hour of one sleeper.
    emit("cpu_per_hour_of_data_per_sleeper", cpu_per_msg * 3600, "s")
    emit("idle_wakeups", wakeups, "per_s")
    emit("idle_wakeups_daemon_thread", wakeups_main, "per_s")


def bench_rss(a, work, broker, capture):
    counts = [int(x) for x in a.sleepers.split(",")]
    rss = {}
    for k in counts:
        d = Daemon(a.hypnicd, work, f"rss{k}", broker, k)
        # Every sleeper gets the same minute-plus of data so that its detector windows are full.
        args = [a.flood, broker.url, capture, "--only", "bed/alex/accel", "--limit", str(a.rss_messages), "--qos", "1"]
        if k > 1:
            args += ["--ids", str(k)]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        d.sentinel(broker, f"rss{k}")
        rss[k] = proc_status(d.pid, "VmHWM")
        d.stop()
        emit(f"peak_rss_{k}_sleepers", rss[k] / 1024, "MB")
        log(f"{k} sleeper(s): VmHWM {rss[k]} kB")
    if len(counts) >= 2:
        lo, hi = counts[0], counts[-1]
        if 10 in rss and hi > 10:
            lo = 10
        emit("rss_per_sleeper", (rss[hi] - rss[lo]) / (hi - lo), "kB")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True, help="build directory with app/hypnicd and bench/hypnic_flood")
    ap.add_argument("--runs", type=int, default=3, help="runs per side; the best counts")
    ap.add_argument("--messages", type=int, default=20000, help="ingest: messages (1 s of 100 Hz each)")
    ap.add_argument("--idle-s", type=float, default=10, help="idle wake-up window, s")
    ap.add_argument("--sleepers", default="1,10,100,1000", help="RSS: sleeper counts")
    ap.add_argument("--rss-messages", type=int, default=70, help="RSS: 1-s batches per sleeper")
    ap.add_argument("--only", default="replay,stream,ingest,rss", help="which groups to run")
    a = ap.parse_args()
    a.hypnicd = os.path.join(a.build, "app", "hypnicd")
    a.flood = os.path.join(a.build, "bench", "hypnic_flood")
    a.parse_only = os.path.join(a.build, "bench", "hypnic_parse_only")
    groups = a.only.split(",")
    work = tempfile.mkdtemp(prefix="hypnic-bench-")
    broker = None
    try:
        emit("machine_cpus", os.cpu_count(), "cpus")
        emit("machine_load_1min", os.getloadavg()[0], "load")
        capture = os.path.join(work, "night.jsonl")
        simulate(a.hypnicd, capture, 1)
        rss1 = None
        if "replay" in groups or "stream" in groups:
            rss1 = bench_replay(a, work, capture)
        if "stream" in groups:
            bench_stream(a, work, capture, rss1)
        if "ingest" in groups or "rss" in groups:
            broker = Broker(work)
        if "ingest" in groups:
            bench_ingest(a, work, broker, capture)
        if "rss" in groups:
            bench_rss(a, work, broker, capture)
    finally:
        if broker:
            broker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
