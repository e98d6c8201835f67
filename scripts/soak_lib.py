"""Helpers of scripts/soak (see there), kept apart so that the load itself
stays short to read: the counting HTTP client, the catalogue of images, the
checks of list pages, RSS sampling of the stack's daemons, the store check
against the database and the Markdown report."""
import hashlib
import http.client
import os
import struct
import subprocess
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = ("glance-api supervisor", "glance-api worker", "glance-api-wb", "glance-registry")
RSS_GROWTH_LIMIT = 0.10
MIB = 1 << 20


def chunks(block, seed, size):
    """The image bytes for (seed, size), 1 MiB at a time: never held whole."""
    for index, offset in enumerate(range(0, size, MIB)):
        chunk = struct.pack("<QQ", seed, index) + block[16:]
        yield chunk[:min(MIB, size - offset)]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts, self.latency = {}, {}
        self.errors, self.error_count = [], 0
        self.uploads = []  # sizes of the good uploads

    def uploaded(self, size):
        with self.lock:
            self.uploads.append(size)

    def record(self, route, status, seconds):
        with self.lock:
            self.counts[(route, status)] = self.counts.get((route, status), 0) + 1
            self.latency.setdefault(route, []).append(seconds)

    def error(self, message):
        with self.lock:
            self.error_count += 1
            if len(self.errors) < 20:
                self.errors.append(f"{time.strftime('%H:%M:%S')} {message}")


def route_of(method, path):
    parts = path.split("?")[0].split("/")
    if len(parts) > 3 and parts[3] != "detail":
        parts[3] = "{id}"
    if len(parts) > 5:
        parts[5] = "{member}"
    if parts[2] == "shared-images":
        parts[3] = "{member}"
    return f"{method} {'/'.join(parts)}"


class Client:
    """One keep-alive connection; every answer is counted by route and status."""

    def __init__(self, port, stats):
        self.port, self.stats, self.conn = port, stats, None

    def call(self, method, path, headers=None, body=None, sink=None):
        """-> (status, headers, body) or (None, {}, b"") after a connection
        failure.  sink(chunk) receives the body instead when given."""
        route, start = route_of(method, path), time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            data = b""
            if sink is None:
                data = resp.read()
            else:
                while chunk := resp.read(MIB):
                    sink(chunk)
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            if resp.getheader("connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            self.stats.record(route, "conn-error", time.monotonic() - start)
            self.stats.error(f"{method} {path}: connection failure {type(e).__name__}: {e}")
            return None, {}, b""
        self.stats.record(route, resp.status, time.monotonic() - start)
        if resp.status >= 500:
            self.stats.error(f"{method} {path}: {resp.status} {data[:200]!r}")
        return resp.status, hdrs, data

    def expect(self, want, method, path, **kw):
        """call(); an answer other than `want` is an error (5xx are already)."""
        status, hdrs, data = self.call(method, path, **kw)
        if status is not None and status != want and status < 500:
            self.stats.error(f"{method} {path}: {status}, expected {want}: {data[:200]!r}")
        return (status == want), hdrs, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Catalogue:
    """The images the load knows; each one is held by at most one client at a
    time, so a client's checks never race another client's changes."""

    def __init__(self, budget):
        self.budget = budget
        self.lock = threading.Lock()
        self.free, self.busy, self.gone = {}, {}, set()
        self.bytes = 0
        self.large = threading.Semaphore(1)

    def count(self):
        with self.lock:
            return len(self.free) + len(self.busy)

    def take(self, rng):
        with self.lock:
            if not self.free:
                return None
            image = self.free.pop(rng.choice(list(self.free)))
            self.busy[image["id"]] = image
            return image

    def give(self, image):
        with self.lock:
            self.busy.pop(image["id"], None)
            self.free[image["id"]] = image

    def reserve(self, size):
        with self.lock:
            if self.bytes + size > self.budget:
                return False
            self.bytes += size
            return True

    def release(self, size):
        with self.lock:
            self.bytes -= size

    def forget(self, image):
        with self.lock:
            self.busy.pop(image["id"], None)
            self.gone.add(image["id"])
            self.bytes -= image["size"]


def sort_tuple(entry, key):
    value = entry.get(key)
    if value is None:
        value = 0 if key == "size" else ""
    created = entry.get("created_at") or ""
    return (value, created if "." in created else created + ".000000", entry["id"])


def list_problems(images, query, detail, last):
    """What is wrong with one page of a list answer, or None.  `last` is the
    final entry of the previous page when the order across pages is stable."""
    if len(images) > query["limit"]:
        return f"{len(images)} entries for limit {query['limit']}"
    for entry in images:
        if "disk_format" in query and entry["disk_format"] != query["disk_format"]:
            return f"{entry['id']} has disk_format {entry['disk_format']}"
        if "size_min" in query and (entry["size"] or 0) < query["size_min"]:
            return f"{entry['id']} has size {entry['size']} < size_min"
        if "size_max" in query and (entry["size"] or 0) > query["size_max"]:
            return f"{entry['id']} has size {entry['size']} > size_max"
        if not detail:
            continue
        group = query.get("property-soak_group")
        if group and entry["properties"].get("soak_group") != group:
            return f"{entry['id']} has properties {entry['properties']}"
        if "is_public" not in query and not entry["is_public"]:
            return f"{entry['id']} is private in a list of public images"
        if entry["status"] == "killed" or entry["deleted"]:
            return f"{entry['id']} is {entry['status']} (deleted={entry['deleted']})"
    key, desc = query["sort_key"], query["sort_dir"] == "desc"
    if not detail and key not in ("name", "size", "disk_format", "container_format", "id"):
        return None
    if detail:
        keys = [sort_tuple(e, key) for e in ([last] if last else []) + images]
    else:  # index entries have no created_at: only the first key is ordered
        keys = [sort_tuple(e, key)[0] for e in images]
    for a, b in zip(keys, keys[1:]):
        if (a > b if not desc else a < b) or (detail and a == b):
            return f"not sorted by {key} {query['sort_dir']}: {a} before {b}"
    return None


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], text=True, stdout=subprocess.PIPE).stdout
    return [int(p) for p in out.split()]


def proc_text(pid, name):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class RssSampler:
    """VmRSS of every daemon of the stack, found through its pid files."""

    def __init__(self, run_dir, db):
        self.run_dir, self.db = run_dir, db
        self.pg_pidfile = os.path.join(os.environ.get("GLANCE_PG_BASE", os.path.join(TOP, "var", "pg")),
                                       "data", "postmaster.pid")
        self.columns, self.samples, self.labels = [], [], []

    def daemons(self):
        found = []
        nginx = read_pid(os.path.join(self.run_dir, "nginx.pid"))
        if nginx:
            found.append(("nginx master", nginx))
            found += [(f"nginx worker {p}", p) for p in children(nginx)]
        api = read_pid(os.path.join(self.run_dir, "glance-api.pid"))
        if api:
            found.append(("glance-api supervisor", api))
            for p in children(api):
                wb = proc_text(p, "comm") == "glance-api-wb"
                found.append((f"glance-api-wb {p}" if wb else f"glance-api worker {p}", p))
        registry = read_pid(os.path.join(self.run_dir, "glance-registry.pid"))
        if registry:
            found.append(("glance-registry", registry))
        postmaster = read_pid(self.pg_pidfile)
        if postmaster:
            found.append(("postgres postmaster", postmaster))
            found += [(f"postgres backend {p}", p) for p in children(postmaster)
                      if f" {self.db} " in proc_text(p, "cmdline") + " "]
        return found

    def sample(self, minute, final=False):
        values = {}
        for label, pid in self.daemons():
            kib = rss_kib(pid)
            if kib is not None:
                values[label] = kib
                if label not in self.labels:
                    self.labels.append(label)
        self.columns.append("end" if final else str(minute))
        self.samples.append(values)

    def table(self, minutes):
        """Markdown lines and the failures: growth of our own daemons from
        minute 5 (the warm-up) to the end; shorter runs are not judged."""
        judged = minutes >= 6 and len(self.samples) > 6
        base = 5 if judged else min(1, len(self.samples) - 1)
        lines = [f"| daemon (MiB) | {' | '.join(self.columns)} | growth since minute {base} |",
                 "|---" * (len(self.columns) + 2) + "|"]
        failures = []
        for label in self.labels:
            row = [f"{s[label] / 1024:.1f}" if label in s else "—" for s in self.samples]
            first, last = self.samples[base].get(label), self.samples[-1].get(label)
            ours = label.startswith(OURS)
            if first and last:
                growth = (last - first) / first
                verdict = f"{growth:+.1%}"
                if ours and judged and growth > RSS_GROWTH_LIMIT:
                    failures.append(f"{label} RSS grew {growth:+.1%}")
                    verdict += " **FAIL**"
            elif ours and judged:
                verdict = "**FAIL** (started late)" if last else "**FAIL** (gone)"
                failures.append(f"{label} {'started after' if last else 'gone since'} minute {base}")
            else:
                verdict = "new" if last else "gone"
            lines.append(f"| {label} | {' | '.join(row)} | {verdict} |")
        lines.append("\nPostgreSQL's RSS counts the shared buffers a backend has touched.")
        if not judged:
            lines.append("RSS growth not judged: the run is shorter than 6 minutes "
                         "(the first 5 are warm-up).")
        return lines, failures


def md5_file(path):
    md5 = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(MIB):
            md5.update(chunk)
    return md5.hexdigest()


def check_store(store, rows, known, scrub):
    """Every active image's file has its recorded size and MD5; no file
    without an active image; the database agrees with what the load made."""
    problems, db = [], {}
    for line in rows.splitlines():
        if line.strip():
            image_id, status, size, checksum = line.split("|")
            db[image_id] = (status, int(size or 0), checksum or None)
    if scrub.returncode != 0:
        problems.append(f"glance-scrubber exited {scrub.returncode}: {scrub.stderr.strip()[-300:]}")
    files = {n for n in os.listdir(store) if n != "_incoming"}
    checked = 0
    for image_id, (status, size, checksum) in sorted(db.items()):
        if status != "active":
            continue
        path = os.path.join(store, image_id)
        if image_id not in files:
            problems.append(f"active image {image_id} has no file in the store")
            continue
        checked += 1
        if os.path.getsize(path) != size:
            problems.append(f"{image_id}: file has {os.path.getsize(path)} bytes, database {size}")
        elif md5_file(path) != checksum:
            problems.append(f"{image_id}: file MD5 {md5_file(path)}, database {checksum}")
    for name in sorted(files):
        if db.get(name, ("",))[0] != "active":
            problems.append(f"store file {name} belongs to no active image ({db.get(name, ('none',))[0]})")
    for image_id, image in sorted(known.items()):
        got = db.get(image_id)
        if got != ("active", image["size"], image["checksum"]):
            problems.append(f"{image_id}: database has {got}, the load expects active "
                            f"{image['size']} {image['checksum']}")
    for image_id in sorted(set(db) - set(known)):
        problems.append(f"{image_id}: {db[image_id][0]} in the database, not made by a good upload")
    incoming = sorted(os.listdir(os.path.join(store, "_incoming")))
    by_status = {}
    for status, _, _ in db.values():
        by_status[status] = by_status.get(status, 0) + 1
    summary = [f"images in the database (not deleted): {by_status or 'none'}",
               f"active images checked against their store file (size, MD5): {checked}",
               f"files in the store: {len(files)}; left in _incoming: {len(incoming)}"
               + (f" ({', '.join(incoming[:5])})" if incoming else ""),
               f"scrubber: exit {scrub.returncode}"]
    return summary, problems


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] * 1000 if values else 0.0


def print_report(stats, sampler, store, minutes):
    failures = []
    print("\n### Requests\n")
    print("| route | answers | total | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|")
    routes = sorted({r for r, _ in stats.counts})
    fives = 0
    for route in routes:
        answers = sorted((str(s), n) for (r, s), n in stats.counts.items() if r == route)
        fives += sum(n for s, n in answers if s.isdigit() and int(s) >= 500)
        lat = stats.latency.get(route, [])
        print(f"| {route} | {', '.join(f'{s}×{n}' for s, n in answers)} | {sum(n for _, n in answers)} "
              f"| {percentile(lat, 0.5):.1f} | {percentile(lat, 0.99):.1f} | {percentile(lat, 1.0):.1f} |")
    sizes = sorted(stats.uploads) or [0]
    print(f"\nGood uploads: {len(stats.uploads)}, {sum(sizes) / MIB:.0f} MiB; sizes p50 "
          f"{sizes[len(sizes) // 2] / 1024:.0f} KiB, max {sizes[-1] / MIB:.1f} MiB; "
          f"{sum(s >= 16 * MIB for s in sizes)} of 16 MiB or more.")
    print(f"\n### Errors: {stats.error_count} ({fives} of them 5xx)\n")
    for message in stats.errors[:10]:
        print(f"- {message}")
    if stats.error_count:
        failures.append(f"{stats.error_count} errors, {fives} 5xx")
    print("\n### RSS per minute\n")
    lines, rss_failures = sampler.table(minutes)
    print("\n".join(lines))
    failures += rss_failures
    summary, problems = store
    print("\n### Store check\n")
    for line in summary:
        print(f"- {line}")
    for line in problems[:20]:
        print(f"- **problem**: {line}")
    if problems:
        failures.append(f"{len(problems)} store problems")
    print()
    return failures
