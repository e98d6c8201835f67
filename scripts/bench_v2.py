"""The Image API v2 rows of scripts/bench: each v2 operation beside its v1
counterpart, measured alternately in the same run on the same stack, image
and images (issue 13: each at least 0.9 x v1)."""
import json
import os
import statistics

MIB = 1 << 20


def _upload_v1(run, api, payload):
    out = run(["curl", "-sS", "-X", "POST", "-T", payload, f"{api}/v1/images",
               "-H", "Content-Type: application/octet-stream",
               "-H", "x-image-meta-name: bench-v1", "-H", "x-image-meta-disk_format: raw",
               "-H", "x-image-meta-container_format: bare",
               "-w", "\n%{speed_upload}"]).stdout
    body, speed = out.rsplit("\n", 1)
    return json.loads(body)["image"]["id"], float(speed) / MIB


def _upload_v2(run, api, payload):
    out = run(["curl", "-sS", "-X", "POST", f"{api}/v2/images",
               "-H", "Content-Type: application/json",
               "-d", '{"name": "bench-v2", "disk_format": "raw", "container_format": "bare"}']).stdout
    image_id = json.loads(out)["id"]
    out = run(["curl", "-sS", "-o", "/dev/null", "-X", "PUT", "-T", payload,
               f"{api}/v2/images/{image_id}/file",
               "-H", "Content-Type: application/octet-stream",
               "-w", "%{http_code} %{speed_upload}"]).stdout
    code, speed = out.split()
    if code != "204":
        raise SystemExit(f"bench: v2 upload answered {code}")
    return image_id, float(speed) / MIB


def _delete(run, api, image_id):
    run(["curl", "-sS", "-o", "/dev/null", "-X", "DELETE", f"{api}/v1/images/{image_id}"])


def _row(figure, v2, v1):
    return (figure, f"{v2:,.0f}", f"{v1:,.0f} (v1, same run)", v2 / v1, "≥ 0.90")


def measure(run, curl, wrk, api, payload, label, image_id, seconds, runs):
    """Rows: metadata GET, list of 20 (needs the 10k seeded images), upload
    and download of `payload`."""
    rows = []
    median = statistics.median

    v1_up, v2_up = [], []
    for _ in range(runs):
        for uploader, speeds in ((_upload_v1, v1_up), (_upload_v2, v2_up)):
            os.sync()
            new_id, speed = uploader(run, api, payload)
            speeds.append(speed)
            _delete(run, api, new_id)
    rows.append(_row(f"v2 upload {label}, POST /v2/images + PUT …/file (MiB/s)",
                     median(v2_up), median(v1_up)))

    v1_down, v2_down = [], []
    for _ in range(runs):
        v1_down.append(curl([f"{api}/v1/images/{image_id}"])[1] / MIB)
        v2_down.append(curl([f"{api}/v2/images/{image_id}/file"])[1] / MIB)
    rows.append(_row(f"v2 download {label}, GET /v2/images/{{id}}/file (MiB/s)",
                     median(v2_down), median(v1_down)))

    v1_meta, v2_meta = [], []
    for _ in range(runs):
        v1_meta.append(wrk(f"{api}/v1/images/{image_id}", seconds, method="HEAD")[0])
        v2_meta.append(wrk(f"{api}/v2/images/{image_id}", seconds)[0])
    rows.append(_row("v2 metadata GET /v2/images/{id} vs v1 HEAD, wrk 32 connections (req/s)",
                     median(v2_meta), median(v1_meta)))

    v1_list, v2_list = [], []
    for _ in range(runs):
        v1_list.append(wrk(f"{api}/v1/images/detail?limit=20", seconds)[0])
        v2_list.append(wrk(f"{api}/v2/images?limit=20", seconds)[0])
    rows.append(_row("v2 list GET /v2/images?limit=20 vs v1 detail, 10,000 images (req/s)",
                     median(v2_list), median(v1_list)))
    return rows
