"""The auth-mode rows of scripts/bench: HEAD of one public image under
trusted-auth and under keystone with a cached token, in the same run on the
same stack (restarted in each mode), and the latency of a request whose
token the api has not seen yet beside Keystone's own validation latency.
"""
import os
import statistics
import subprocess
import time
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _keystone_env(keystone_dir):
    env = {}
    with open(os.path.join(keystone_dir, "keystone.env")) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key:
                env[key] = value.strip("'\"")
    return env


def _token(keystone_dir, user):
    return subprocess.run([os.path.join(TOP, "scripts", "keystone"), "token", keystone_dir, user],
                          check=True, text=True, stdout=subprocess.PIPE).stdout.strip()


def _timed_ms(url, headers, method="HEAD"):
    request = urllib.request.Request(url, method=method, headers=headers)
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()
        status = reply.status
    if status != 200:
        raise SystemExit(f"bench: {method} {url} answered {status}")
    return (time.perf_counter() - started) * 1000


def measure(run, stack, env, api, image_id, seconds, runs, wrk):
    """Returns the rows; leaves the stack running in its original mode."""
    var = env["GLANCE_VAR_DIR"]
    keystone_dir = os.path.join(var, "keystone")
    url = f"{api}/v1/images/{image_id}"
    rows = []
    try:
        run([stack, "stop"], env=env)
        run([stack, "start"], env=dict(env, AUTH="trusted-auth"))
        identity = {"X-Identity-Status": "Confirmed", "X-User-Id": "bench-user",
                    "X-Tenant-Id": "bench-tenant", "X-Roles": "member"}
        lists = f"{api}/v1/images/detail?limit=20"
        trusted = [wrk(url, seconds, method="HEAD", headers=identity) for _ in range(runs)]
        trusted_list = [wrk(lists, seconds, headers=identity) for _ in range(runs)]
        run([stack, "stop"], env=dict(env, AUTH="trusted-auth"))

        run([stack, "start"], env=dict(env, AUTH="keystone"))
        token = _token(keystone_dir, "demo")
        _timed_ms(url, {"X-Auth-Token": token})  # now cached
        cached = [wrk(url, seconds, method="HEAD", headers={"X-Auth-Token": token}) for _ in range(runs)]
        cached_list = [wrk(lists, seconds, headers={"X-Auth-Token": token}) for _ in range(runs)]

        def rate(results):
            return (f"{statistics.median(r[0] for r in results):,.0f} "
                    f"(p50 {statistics.median(r[1] for r in results):.2f} ms, "
                    f"p99 {statistics.median(r[2] for r in results):.2f} ms)")
        t = statistics.median(r[0] for r in trusted)
        k = statistics.median(r[0] for r in cached)
        rows.append(("HEAD /v1/images/{id}, trusted-auth, wrk 32 connections (req/s)", rate(trusted),
                     "—", None, "≥ 10,000 req/s; p99 ≤ 10 ms"))
        rows.append(("HEAD /v1/images/{id}, keystone mode, cached token, wrk 32 connections (req/s)",
                     rate(cached), f"{t:,.0f} (trusted-auth, same stack)", k / t,
                     "≥ 10,000 req/s; p99 ≤ 10 ms"))
        rows.append(("GET /v1/images/detail?limit=20, trusted-auth, 10,000 images (req/s)",
                     rate(trusted_list), "—", None, "≥ 6,000 req/s; p99 ≤ 20 ms"))
        t = statistics.median(r[0] for r in trusted_list)
        k = statistics.median(r[0] for r in cached_list)
        rows.append(("GET /v1/images/detail?limit=20, keystone mode, cached token (req/s)",
                     rate(cached_list), f"{t:,.0f} (trusted-auth, same stack)", k / t,
                     "≥ 6,000 req/s; p99 ≤ 20 ms"))

        # First sight of a token: one validation with Keystone, then cached.
        keystone = _keystone_env(keystone_dir)
        service = _token(keystone_dir, "glance")
        first, direct = [], []
        for _ in range(max(10, runs * 4)):
            fresh = _token(keystone_dir, "demo")
            direct.append(_timed_ms(f"{keystone['KEYSTONE_URL']}/v3/auth/tokens?nocatalog",
                                    {"X-Auth-Token": service, "X-Subject-Token": fresh}, method="GET"))
            fresh = _token(keystone_dir, "demo")
            first.append(_timed_ms(url, {"X-Auth-Token": fresh}))
        f, d = statistics.median(first), statistics.median(direct)
        rows.append(("HEAD /v1/images/{id}, keystone mode, a token not seen before (ms, p50)",
                     f"{f:.1f} ({len(first)} tokens)", f"{d:.1f} (Keystone's own GET /v3/auth/tokens)",
                     f / d, "report"))
    finally:
        run([stack, "stop"], env=dict(env, AUTH="keystone"), check=False)
        run([stack, "start"], env=env)
    return rows
