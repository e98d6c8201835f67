"""The peer column of scripts/bench (`scripts/bench --peer glance`, or
`make bench PEER=glance`): Debian's own Glance (the glance-api package of the
release this machine runs, Glance 25 "Zed" on bookworm) beside our v2 API,
the same rows measured alternately in the same run on the same machine.

The peer runs the way Debian's init script runs it (/usr/bin/glance-api, the
eventlet server, as the `glance` user; Debian ships uwsgi disabled for
Glance), with `workers = 2`, no auth (an empty [paste_deploy] flavor picks the
package's `glance-api` pipeline with its unauthenticated context; Glance 25
has no auth_strategy option), the filesystem store and a PostgreSQL cluster of
its own, all under var/bench/glance-peer.  It is configured only through
--config-file files in that directory: nothing is written to /etc/glance.
It is started and stopped here, by PID, and its cluster with it.
"""
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG = os.path.join(TOP, "scripts", "pg")
PEER_PORT = int(os.environ.get("GLANCE_BENCH_PEER_PORT", 19294))
PEER_PG_PORT = int(os.environ.get("GLANCE_BENCH_PEER_PG_PORT", 25452))
PACKAGES = ["glance-api"]
MIB = 1 << 20
GIB = 1 << 30
WRK_TIMEOUT = "30s"   # the peer's p99 under 32 connections passes wrk's 2 s default


def _installed(package):
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", package], text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return out.strip() == "install ok installed"


def _system_glance_pids(var):
    """The package's glance-api (/usr/bin/glance-api, or its uwsgi app) not
    started by us: one its maintainer scripts would have started from
    /etc/glance.  (Our own C++ bin/glance-api is another program.)"""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        package = (b"/usr/bin/glance-api" in argv[:2] or
                   any(a.endswith(b"glance-wsgi-api") or a.endswith(b"glance-api-uwsgi.ini")
                       for a in argv))
        if package and var.encode() not in b" ".join(argv):
            pids.append(int(entry))
    return pids


def install(var):
    """Installs Debian's glance-api if it is missing and makes sure the
    package did not leave a system glance-api running."""
    if not all(_installed(p) for p in PACKAGES):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "--no-install-recommends"] + PACKAGES
        print(f"bench: installing {' '.join(PACKAGES)} for the peer column", file=sys.stderr)
        result = subprocess.run(cmd, env=env, text=True, capture_output=True)
        if result.returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True)
            result = subprocess.run(cmd, env=env, text=True, capture_output=True)
        if result.returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    if _system_glance_pids(var):
        # policy-rc.d normally denies the start; if it did not, stop the
        # service the way it was started.
        if os.path.isdir("/run/systemd/system"):
            subprocess.run(["systemctl", "stop", "glance-api"], capture_output=True)
        else:
            subprocess.run(["/etc/init.d/glance-api", "stop"], capture_output=True)
        deadline = time.monotonic() + 20
        while _system_glance_pids(var) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = _system_glance_pids(var)
        if left:
            sys.exit(f"bench: a system glance-api is running (pids {left}) and did not stop")


def version():
    """(upstream, Debian) versions of the installed Glance, e.g. ("25.1.0",
    "2:25.1.0-2+deb12u5")."""
    debian = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "python3-glance"],
                            text=True, stdout=subprocess.PIPE).stdout.strip()
    upstream = re.sub(r"^\d+:", "", debian).split("-")[0]
    return upstream, debian


def _alive(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"glance-api" in f.read()
    except OSError:
        return False


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


class GlancePeer:
    def __init__(self, var, workers=2):
        self.dir = os.path.join(var, "glance-peer")
        self.workers = workers
        self.pg_env = dict(os.environ, GLANCE_PG_BASE=os.path.join(self.dir, "pg"),
                           GLANCE_PG_PORT=str(PEER_PG_PORT))
        self.conf = os.path.join(self.dir, "etc", "glance-api.conf")
        self.log = os.path.join(self.dir, "log", "glance-api.log")
        self.url = f"http://127.0.0.1:{PEER_PORT}"
        self.proc = None
        self.known = set()

    def _pg(self, *args, check=True):
        result = subprocess.run([PG] + list(args), env=self.pg_env, text=True, capture_output=True)
        if check and result.returncode != 0:
            sys.exit(f"bench: peer scripts/pg {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def psql(self, sql):
        return self._pg("psql", "-qtA", "-v", "ON_ERROR_STOP=1", "-d", "glance", "-c", sql)

    def _write_conf(self):
        sock = os.path.join(self.dir, "pg", "run")
        paths = {name: os.path.join(self.dir, name) for name in ("images", "staging", "lock", "log")}
        for path in paths.values():
            os.makedirs(path, exist_ok=True)
            subprocess.run(["chown", "glance:glance", path], check=True)
        os.makedirs(os.path.dirname(self.conf), exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(f"""# Written by scripts/bench_peer.py: Debian's glance-api for the peer column.
[DEFAULT]
bind_host = 127.0.0.1
bind_port = {PEER_PORT}
workers = {self.workers}
log_file = {self.log}
use_stderr = false
node_staging_uri = file://{paths['staging']}

[database]
connection = postgresql+psycopg2://postgres@/glance?host={sock}&port={PEER_PG_PORT}

[glance_store]
stores = file
default_store = file
filesystem_store_datadir = {paths['images']}

[oslo_concurrency]
lock_path = {paths['lock']}

[paste_deploy]
# Empty: the package's plain `glance-api` pipeline (unauthenticated context,
# no keystone); the paste file itself is the one the package installs.
flavor =
config_file = /etc/glance/glance-api-paste.ini
""")

    def start(self):
        for port in (PEER_PORT, PEER_PG_PORT):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    sys.exit(f"bench: port {port} (the peer's) is already in use")
            except OSError:
                pass
        os.makedirs(self.dir, exist_ok=True)
        self._pg("start")
        self._pg("psql", "-q", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS glance")
        self._pg("psql", "-q", "-d", "postgres", "-c", "CREATE DATABASE glance")
        self._write_conf()
        sync = subprocess.run(["runuser", "-u", "glance", "--", "glance-manage", "--config-file",
                               self.conf, "db_sync"], text=True, capture_output=True)
        if sync.returncode != 0:
            sys.exit(f"bench: glance-manage db_sync failed:\n{sync.stdout}\n{sync.stderr}")
        out = open(os.path.join(self.dir, "log", "stdout.log"), "w")
        # A session of its own: the master's SIGTERM handler signals its
        # whole process group.
        self.proc = subprocess.Popen(["/usr/bin/glance-api", "--config-file", self.conf],
                                     user="glance", group="glance", cwd=self.dir,
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"bench: the peer glance-api exited ({self.proc.returncode}); "
                         f"see {self.log}")
            if len(_children(self.proc.pid)) >= self.workers and self._answers():
                break
            time.sleep(0.5)
        else:
            sys.exit(f"bench: the peer glance-api did not answer within 90 s; see {self.log}")
        self.pids()

    def _answers(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PEER_PORT, timeout=5)
            conn.request("GET", "/v2/images?limit=1")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def pids(self):
        """The master and its workers (PostgreSQL is not counted, for the
        peer as for ours)."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        pids = [self.proc.pid] + _children(self.proc.pid)
        self.known.update(pids)
        return pids

    def stop(self):
        if self.proc is not None:
            self.pids()
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            deadline = time.monotonic() + 10
            while any(_alive(p) for p in self.known) and time.monotonic() < deadline:
                time.sleep(0.2)
            for pid in self.known:
                if _alive(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            self.proc = None
        self._pg("stop", check=False)

    def seed(self, count):
        """The same `count` public, active records (and os_distro property)
        scripts/bench gives our database, inserted straight into Glance 25's
        own tables."""
        self.psql(f"""
            INSERT INTO images (id, name, disk_format, container_format, size, status, visibility,
                                checksum, owner, min_disk, min_ram, protected, os_hidden, deleted,
                                created_at, updated_at)
            SELECT md5('seed' || g)::uuid::text, 'seed-' || lpad(g::text, 7, '0'), 'raw', 'bare',
                   g * 1024, 'active', 'public', md5(g::text), 'bench', 0, 0, false, false, false,
                   (now() AT TIME ZONE 'UTC') - (g || ' seconds')::interval,
                   (now() AT TIME ZONE 'UTC') - (g || ' seconds')::interval
            FROM generate_series(1, {count}) g;
            INSERT INTO image_properties (image_id, name, value, created_at, updated_at, deleted)
            SELECT md5('seed' || g)::uuid::text, 'os_distro', 'ubuntu',
                   now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', false
            FROM generate_series(1, {count}) g;
            ANALYZE images; ANALYZE image_properties;""")


# ------------------------------------------------------------------ measures

def _wrk(url, seconds, connections=32, threads=2):
    """(req/s, p50 ms, p99 ms, socket errors); non-2xx answers end the bench."""
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                          "--timeout", WRK_TIMEOUT, "--latency", url],
                         text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        sys.exit(f"bench: wrk {url} failed:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        sys.exit(f"bench: {url} answered {non2xx.group(1)} errors under load:\n{out}")

    def latency(pct):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return float(m.group(1)), latency(50), latency(99), sum(map(int, errors.groups())) if errors else 0


def _curl(args):
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{speed_download}"]
                         + args, text=True, stdout=subprocess.PIPE).stdout.split()
    if len(out) != 2 or out[0] != "200":
        sys.exit(f"bench: curl {' '.join(args)} answered {out}")
    return float(out[1]) / MIB


def _upload(api, payload, pids, cpu_seconds):
    """POST /v2/images + PUT …/file: (id, MiB/s of the PUT, server CPU s of
    both requests)."""
    before_pids = pids()
    before = cpu_seconds(before_pids)
    out = subprocess.run(["curl", "-sS", "-X", "POST", f"{api}/v2/images",
                          "-H", "Content-Type: application/json",
                          "-d", '{"name": "bench-peer", "disk_format": "raw",'
                                ' "container_format": "bare"}'],
                         text=True, stdout=subprocess.PIPE).stdout
    image_id = json.loads(out)["id"]
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-X", "PUT", "-T", payload,
                          f"{api}/v2/images/{image_id}/file",
                          "-H", "Content-Type: application/octet-stream",
                          "-w", "%{http_code} %{speed_upload}"],
                         text=True, stdout=subprocess.PIPE).stdout.split()
    cpu = cpu_seconds(before_pids) - before
    if out[0] != "204":
        sys.exit(f"bench: PUT {api}/v2/images/{image_id}/file answered {out[0]}")
    return image_id, float(out[1]) / MIB, cpu


def _delete(host, port, image_id):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    conn.request("DELETE", f"/v2/images/{image_id}")
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 204:
        sys.exit(f"bench: DELETE /v2/images/{image_id} on port {port} answered {response.status}")


def _concurrent_cpu(url, pids, cpu_seconds, size):
    running = pids()
    before = cpu_seconds(running)
    procs = [subprocess.Popen(["curl", "-sS", "-o", "/dev/null", url]) for _ in range(4)]
    for p in procs:
        p.wait(timeout=1800)
    return (cpu_seconds(running) - before) / (4 * size / GIB)


def _create(conn):
    conn.request("POST", "/v2/images", body='{"name": "bench-peer-record", "disk_format": "raw",'
                                            ' "container_format": "bare"}',
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 201:
        sys.exit(f"bench: POST /v2/images answered {response.status}: {body[:200]!r}")
    return json.loads(body)["id"]


def measure(peer, api, api_port, payload, label, size, image_id, seconds, runs,
            our_pids, cpu_seconds, rss_mib):
    """Rows (figure, ours, peer, ours/peer) for the peer table.  `peer` is a
    started GlancePeer; the 10,000 seeded images must be in our database."""
    median = statistics.median
    rows = []
    peer.seed(10000)

    # ---- upload, and the server CPU it costs
    ours_up, peer_up, ours_cpu, peer_cpu = [], [], [], []
    peer_image = None
    for i in range(runs):
        os.sync()
        new_id, speed, cpu = _upload(api, payload, our_pids, cpu_seconds)
        ours_up.append(speed)
        ours_cpu.append(cpu / (size / GIB))
        _delete("127.0.0.1", api_port, new_id)
        os.sync()
        new_id, speed, cpu = _upload(peer.url, payload, peer.pids, cpu_seconds)
        peer_up.append(speed)
        peer_cpu.append(cpu / (size / GIB))
        if i == 0:
            peer_image = new_id   # kept for the downloads
        else:
            _delete("127.0.0.1", PEER_PORT, new_id)
    rows.append((f"upload {label}, POST /v2/images + PUT …/file (MiB/s)",
                 median(ours_up), median(peer_up), "{:,.0f}"))
    rows.append((f"upload {label}: server CPU s per GiB (lower is better)",
                 median(ours_cpu), median(peer_cpu), "{:.2f}"))

    # ---- downloads (one warm-up each: both files in the page cache)
    ours_file = f"{api}/v2/images/{image_id}/file"
    peer_file = f"{peer.url}/v2/images/{peer_image}/file"
    _curl([ours_file])
    _curl([peer_file])
    ours_down, peer_down = [], []
    for _ in range(runs):
        ours_down.append(_curl([ours_file]))
        peer_down.append(_curl([peer_file]))
    rows.append((f"download {label}, 1 stream, GET /v2/images/{{id}}/file (MiB/s)",
                 median(ours_down), median(peer_down), "{:,.0f}"))
    ours_c, peer_c = [], []
    for _ in range(runs):
        ours_c.append(_concurrent_cpu(ours_file, our_pids, cpu_seconds, size))
        peer_c.append(_concurrent_cpu(peer_file, peer.pids, cpu_seconds, size))
    rows.append(("4 concurrent downloads: server CPU s per GiB (lower is better)",
                 median(ours_c), median(peer_c), "{:.3f}"))

    # ---- metadata and list under wrk -c32
    def wrk_row(figure, ours_url, peer_url):
        ours, theirs = [], []
        for _ in range(runs):
            ours.append(_wrk(ours_url, seconds))
            theirs.append(_wrk(peer_url, seconds))

        def cell(results):
            text = (f"{median(r[0] for r in results):,.0f} (p50 {median(r[1] for r in results):.2f} ms, "
                    f"p99 {median(r[2] for r in results):.2f} ms")
            errors = sum(r[3] for r in results)
            return text + (f", {errors} socket errors)" if errors else ")")
        rows.append((figure, median(r[0] for r in ours), median(r[0] for r in theirs),
                     (cell(ours), cell(theirs))))
    wrk_row("metadata GET /v2/images/{id}, wrk 32 connections (req/s)",
            f"{api}/v2/images/{image_id}", f"{peer.url}/v2/images/{peer_image}")
    wrk_row("list GET /v2/images?limit=20, 10,000 images, wrk 32 connections (req/s)",
            f"{api}/v2/images?limit=20", f"{peer.url}/v2/images?limit=20")

    # ---- sequential creates, alternating one by one
    ours_conn = http.client.HTTPConnection("127.0.0.1", api_port, timeout=60)
    peer_conn = http.client.HTTPConnection("127.0.0.1", PEER_PORT, timeout=60)
    created = []
    for _ in range(20):
        created.append(_create(ours_conn))
        _create(peer_conn)
    ours_ms, peer_ms = [], []
    deadline = time.monotonic() + (10 if runs <= 3 else 30)
    while len(ours_ms) < 500 and time.monotonic() < deadline:
        for conn, latencies, mine in ((ours_conn, ours_ms, True), (peer_conn, peer_ms, False)):
            t = time.perf_counter()
            new_id = _create(conn)
            latencies.append((time.perf_counter() - t) * 1000)
            if mine:
                created.append(new_id)
    peer_conn.close()
    for new_id in created:   # our database goes back to what the rest of the bench expects
        ours_conn.request("DELETE", f"/v2/images/{new_id}")
        ours_conn.getresponse().read()
    ours_conn.close()

    def pcts(values):
        values = sorted(values)
        return values[len(values) // 2], values[max(0, int(len(values) * 0.99) - 1)]
    (o50, o99), (p50, p99) = pcts(ours_ms), pcts(peer_ms)
    rows.append(("create a record, POST /v2/images, sequential: p50 (ms, lower is better)", o50, p50,
                 (f"{o50:.2f} (p99 {o99:.2f}, {len(ours_ms)} requests)",
                  f"{p50:.2f} (p99 {p99:.2f}, {len(peer_ms)} requests)")))

    # ---- memory after all that
    ours_rss, peer_rss = rss_mib(our_pids()), rss_mib(peer.pids())
    rows.append(("RSS after the load, sum over server processes (MiB, lower is better)",
                 ours_rss, peer_rss, "{:.1f}"))
    return rows


def print_table(rows, runs):
    upstream, debian = version()
    print()
    print(f"Ours (v2) beside Debian's Glance {upstream} (python3-glance {debian}, "
          f"/usr/bin/glance-api, 2 workers, no auth, filesystem store, its own PostgreSQL), "
          f"measured alternately in the same run; every figure the median of {runs} runs "
          f"(creates: the p50 of one interleaved series). Server processes: ours nginx + "
          f"api workers + registry, Glance's master + workers; PostgreSQL counted for neither. "
          f"10,000 images seeded by SQL into each database.")
    print()
    print(f"| figure | ours (v2) | Glance {upstream.split('.')[0]} | ours / Glance |")
    print("|---|---|---|---|")
    for figure, ours, theirs, fmt in rows:
        if isinstance(fmt, tuple):
            ours_cell, peer_cell = fmt
        else:
            ours_cell, peer_cell = fmt.format(ours), fmt.format(theirs)
        ratio = f"{ours / theirs:.2f}" if theirs else "—"
        print(f"| {figure} | {ours_cell} | {peer_cell} | {ratio} |")
