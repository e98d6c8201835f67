"""The Swift store rows of scripts/bench (issue 14): our API beside curl
talking to the same Swift directly, and a download from nginx's image cache
beside nginx serving a static file, measured alternately in the same run.
The bench stack is restarted on the same database with STORE=swift and a
private Swift all-in-one (scripts/swift) under var/bench/swift."""
import json
import os
import statistics
import subprocess

MIB = 1 << 20


def _swift_env(run, swift, swift_dir):
    out = run([swift, "env", swift_dir]).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def _row(figure, ours, baseline, what, target):
    return (figure, f"{ours:,.0f}", f"{baseline:,.0f} ({what})", ours / baseline, target)


def measure(run, curl, top, stack, env, api, base, payload, label, file_image_id, runs):
    median = statistics.median
    swift = os.path.join(top, "scripts", "swift")
    swift_dir = os.path.join(env["GLANCE_VAR_DIR"], "swift")
    run([swift, "up", swift_dir])
    senv = _swift_env(run, swift, swift_dir)
    swift_env = dict(env, STORE="swift", SWIFT_DIR=swift_dir)
    run([stack, "stop"], env=env)
    run([stack, "start"], env=swift_env)
    cache_manage = [os.path.join(top, "bin", "glance-cache-manage"), "--config-file",
                    os.path.join(env["GLANCE_VAR_DIR"], "etc", "glance-api.conf")]
    rows = []
    try:
        token = run([swift, "token", swift_dir]).stdout.strip()
        direct = f"{senv['SWIFT_STORAGE_URL']}/bench"
        run(["curl", "-sS", "-o", "/dev/null", "-X", "PUT", "-H", f"X-Auth-Token: {token}", direct])
        ours_up, direct_up, ids = [], [], []
        for _ in range(runs):
            os.sync()
            out = run(["curl", "-sS", "-X", "POST", "-T", payload, f"{api}/v1/images",
                       "-H", "Content-Type: application/octet-stream",
                       "-H", "x-image-meta-name: bench-swift", "-H", "x-image-meta-disk_format: raw",
                       "-H", "x-image-meta-container_format: bare",
                       "-H", "x-image-meta-is_public: true",
                       "-w", "\n%{speed_upload}"]).stdout
            body, speed = out.rsplit("\n", 1)
            ids.append(json.loads(body)["image"]["id"])
            ours_up.append(float(speed) / MIB)
            os.sync()
            code, _, speed, _ = curl(["-X", "PUT", "-T", payload, "-H", f"X-Auth-Token: {token}",
                                      f"{direct}/payload"])
            if code != 201:
                raise SystemExit(f"bench: direct Swift PUT answered {code}")
            direct_up.append(speed / MIB)
        rows.append(_row(f"Swift store: upload {label}, POST /v1/images with data (MiB/s)",
                         median(ours_up), median(direct_up), "curl PUT to the same Swift", "≥ 0.80"))

        image_id = ids[0]
        ours_down, direct_down = [], []
        for _ in range(runs):
            subprocess.run(cache_manage + ["delete-cached-image", image_id], capture_output=True)
            ours_down.append(curl([f"{api}/v2/images/{image_id}/file"])[1] / MIB)
            direct_down.append(curl(["-H", f"X-Auth-Token: {token}", f"{direct}/payload"])[1] / MIB)
        rows.append(_row(f"Swift store: download {label}, not cached (fills the cache) (MiB/s)",
                         median(ours_down), median(direct_down), "curl GET from the same Swift",
                         "≥ 0.80"))

        cached, static = [], []
        for _ in range(runs):
            cached.append(curl([f"{api}/v2/images/{image_id}/file"])[1] / MIB)
            static.append(curl([f"{base}/static/{file_image_id}"])[1] / MIB)
        rows.append(_row(f"Swift store: download {label} from the image cache (MiB/s)",
                         median(cached), median(static), "nginx static location, same size",
                         "≥ 0.90"))
        for extra in ids:
            run(["curl", "-sS", "-o", "/dev/null", "-X", "DELETE", f"{api}/v1/images/{extra}"])
    finally:
        run([stack, "stop"], env=swift_env, check=False)
        run([swift, "down", swift_dir], check=False)
        run([stack, "start"], env=env)
    return rows
