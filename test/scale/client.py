#!/usr/bin/python3
"""The clients of test/scale/run.  Each command runs inside one lab
namespace (`netns-lab exec NS /usr/bin/python3 client.py CMD ...`), does its
whole loop in this one process and prints one JSON object on stdout.

  getloop URL SECONDS MD5      sequential GETs of an image for SECONDS;
                               every answer must be 200 with body MD5
  fetch URL COUNT METHOD       COUNT GETs or HEADs: status, md5, headers
  upload URL METHOD SIZE SEED RATE [NAME]
                               one upload of SIZE bytes (seed SEED) at RATE
                               bytes/s (0: as fast as possible), POST to
                               create an image named NAME or PUT to a
                               queued one
  writer URL SECONDS PREFIX MARK
                               POST /v1/images (no data) in a loop: every
                               acknowledged id with its times; stops after
                               SECONDS, or once the file MARK exists (the
                               crash is done) and RECOVERED_RUN writes sent
                               after it succeeded in a row
  create URL COUNT SIZE PREFIX COUNT images with data, then each deleted
  ids URL...                   the ids of the image list at each URL
  swifthead AUTH USER KEY CONTAINER ID...
                               the status of a HEAD of each object (tempauth)
  coherence SECONDS BASE...    one image created through the first api node
                               BASE (http://host:port), its property v set
                               to 1, 2, ... through each node in turn and
                               read back through every node after each
                               acknowledgement, while two threads per node
                               HEAD it in a loop: reads that showed a value
                               older than one acknowledged before they began

Every request carries trusted-auth identity headers (the lab's api nodes
run [paste_deploy] flavor = trusted-auth behind the lab's own nginx)."""

import hashlib
import http.client
import json
import os
import random
import socket
import sys
import time
import urllib.parse

IDENTITY = {
    'X-Identity-Status': 'Confirmed',
    'X-User-Id': 'scale-user',
    'X-Tenant-Id': 'scale-tenant',
    'X-Roles': 'admin',
}
TIMEOUT = 30
RECOVERED_RUN = 20
CHUNK = 64 * 1024


def image_bytes(size, seed):
    return random.Random(seed).randbytes(size)


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT), u


def path_of(u):
    return u.path + ('?' + u.query if u.query else '')


def meta_headers(resp):
    return {k.lower(): v for k, v in resp.getheaders()
            if k.lower().startswith('x-image-meta-')}


class Conn:
    """One keep-alive connection, opened again after any failure."""

    def __init__(self, url):
        self.url = url
        self.conn, self.u = connect(url)

    def request(self, method, path=None, headers=None, body=None):
        """-> (status, headers dict (lower-case), body, resp) or raises OSError
        / http.client.HTTPException after closing the connection."""
        h = dict(IDENTITY)
        h.update(headers or {})
        try:
            self.conn.request(method, path or path_of(self.u), body=body, headers=h)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        if resp.will_close:
            self.conn.close()
        return resp.status, resp, data


def getloop(url, seconds, md5):
    c = Conn(url)
    start = time.time()
    end = time.monotonic() + float(seconds)
    out = {'requests': 0, 'errors': 0, 'samples': [], 'slowest': 0.0,
           'slow': [], 'upstreams': {}, 'start': start, 'cut': 0}
    while time.monotonic() < end:
        t0 = time.monotonic()
        err = None
        try:
            try:
                status, resp, data = c.request('GET')
            except http.client.IncompleteRead:
                # The answer was on its way from a host that vanished: no
                # load balancer can take back bytes it sent, so the client
                # does what any download client does, once.
                out['cut'] += 1
                status, resp, data = c.request('GET')
            if status != 200:
                err = f'{status} {data[:120]!r}'
            elif hashlib.md5(data).hexdigest() != md5:
                err = f'200 but {len(data)} bytes of another md5'
            up = resp.getheader('X-Lab-Upstream', '?')
            out['upstreams'][up] = out['upstreams'].get(up, 0) + 1
        except (OSError, http.client.HTTPException) as e:
            err = f'{type(e).__name__}: {e}'
        took = time.monotonic() - t0
        out['requests'] += 1
        out['slowest'] = max(out['slowest'], took)
        if took > 0.5:
            out['slow'].append([round(time.time() - start, 2), round(took, 2)])
        if err:
            out['errors'] += 1
            if len(out['samples']) < 10:
                out['samples'].append([round(time.time() - start, 2), err])
    return out


def fetch(url, count, method):
    c = Conn(url)
    out = []
    for _ in range(int(count)):
        try:
            status, resp, data = c.request(method)
            out.append({'status': status, 'md5': hashlib.md5(data).hexdigest(),
                        'meta': meta_headers(resp),
                        'upstream': resp.getheader('X-Lab-Upstream', '?')})
        except (OSError, http.client.HTTPException) as e:
            out.append({'status': None, 'error': f'{type(e).__name__}: {e}'})
    return out


def upload(url, method, size, seed, rate, name=''):
    """A hand-written request, so that the body can be sent slowly."""
    size, rate = int(size), float(rate)
    data = image_bytes(size, int(seed))
    conn, u = connect(url)
    headers = dict(IDENTITY)
    headers.update({'Content-Type': 'application/octet-stream',
                    'Content-Length': str(size)})
    if method == 'POST':
        headers.update({'x-image-meta-name': name,
                        'x-image-meta-disk_format': 'raw',
                        'x-image-meta-container_format': 'bare'})
    out = {'md5': hashlib.md5(data).hexdigest(), 'sent': 0, 'start': time.time()}
    try:
        conn.putrequest(method, path_of(u), skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        for off in range(0, size, CHUNK):
            conn.send(data[off:off + CHUNK])
            out['sent'] = min(size, off + CHUNK)
            if rate > 0:
                time.sleep(CHUNK / rate)
        resp = conn.getresponse()
        body = resp.read()
        out['status'] = resp.status
        try:
            out['image'] = json.loads(body)['image']
        except (ValueError, KeyError, TypeError):
            out['body'] = body[:300].decode(errors='replace')
    except (OSError, http.client.HTTPException) as e:
        out['status'] = None
        out['error'] = f'{type(e).__name__}: {e}'
    out['end'] = time.time()
    return out


def writer(url, seconds, prefix, mark):
    c = Conn(url)
    end = time.monotonic() + float(seconds)
    out = {'acked': [], 'failures': 0, 'samples': [], 'first_failure': None,
           'last_failure': None}
    run = 0
    n = 0
    marked = False
    while time.monotonic() < end:
        n += 1
        if not marked and os.path.exists(mark):
            marked, run = True, 0
        sent = time.time()
        err = None
        try:
            status, resp, data = c.request('POST', headers={
                'x-image-meta-name': f'{prefix}-{n}',
                'x-image-meta-disk_format': 'raw',
                'x-image-meta-container_format': 'bare'})
            if status == 201:
                out['acked'].append([json.loads(data)['image']['id'], sent, time.time()])
            else:
                err = f'{status} {data[:160]!r}'
        except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
            err = f'{type(e).__name__}: {e}'
            time.sleep(0.02)
        if err:
            run = 0
            out['failures'] += 1
            out['last_failure'] = time.time()
            if out['first_failure'] is None:
                out['first_failure'] = sent
            if len(out['samples']) < 8 or out['failures'] % 50 == 0:
                out['samples'].append([round(sent, 3), err])
        else:
            run += 1
            if marked and run >= RECOVERED_RUN:
                break
    return out


def create(url, count, size, prefix):
    """COUNT images with data (POST), then a DELETE of each."""
    c = Conn(url)
    base = url.rstrip('/')
    out = {'ids': [], 'errors': []}
    for k in range(int(count)):
        data = image_bytes(int(size), 1000 + k)
        try:
            status, resp, body = c.request('POST', headers={
                'x-image-meta-name': f'{prefix}-{k}',
                'x-image-meta-disk_format': 'raw',
                'x-image-meta-container_format': 'bare',
                'Content-Type': 'application/octet-stream'}, body=data)
            if status != 201:
                out['errors'].append(f'POST {status} {body[:160]!r}')
                continue
            out['ids'].append(json.loads(body)['image']['id'])
        except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
            out['errors'].append(f'POST {type(e).__name__}: {e}')
    for image_id in out['ids']:
        try:
            status, resp, body = c.request(
                'DELETE', urllib.parse.urlsplit(f'{base}/{image_id}').path)
            if status != 200:
                out['errors'].append(f'DELETE {image_id} {status} {body[:160]!r}')
        except (OSError, http.client.HTTPException) as e:
            out['errors'].append(f'DELETE {image_id} {type(e).__name__}: {e}')
    return out


def ids(*urls):
    out = {}
    for url in urls:
        try:
            status, resp, body = Conn(url).request('GET')
            out[url] = ([i['id'] for i in json.loads(body)['images']]
                        if status == 200 else f'{status} {body[:160]!r}')
        except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
            out[url] = f'{type(e).__name__}: {e}'
    return out


def swifthead(auth, user, key, container, *objects):
    c = Conn(auth)
    h = {'X-Auth-User': user, 'X-Auth-Key': key}
    status, resp, _ = c.request('GET', headers=h)
    if status != 200:
        return {'error': f'auth {status}'}
    token, storage = resp.getheader('X-Auth-Token'), resp.getheader('X-Storage-Url')
    s = Conn(storage)
    out = {}
    for obj in objects:
        path = urllib.parse.urlsplit(f'{storage}/{container}/{obj}').path
        out[obj] = s.request('HEAD', path, headers={'X-Auth-Token': token})[0]
    return out


def coherence(seconds, *bases):
    import bisect
    import threading
    conn = Conn(bases[0] + '/v1/images')
    status, resp, body = conn.request('POST', headers={
        'x-image-meta-name': 'scale-coherence', 'x-image-meta-property-v': '0'})
    if status != 201:
        return {'error': f'create {status} {body[:160]!r}'}
    path = '/v1/images/' + json.loads(body)['image']['id']
    out = {'writes': 0, 'checked_reads': 0, 'stale_after_ack': 0, 'loop_reads': 0,
           'past': 0, 'errors': [], 'stale_samples': []}
    acked = [0.0]   # monotonic time value k was acknowledged, at [k]
    loop_reads = []
    done = threading.Event()

    def value(c):
        status, resp, _ = c.request('HEAD', path)
        if status != 200:
            raise OSError(f'HEAD {status}')
        return int(resp.getheader('x-image-meta-property-v', '-1'))

    def reader(base):
        c, mine = Conn(base + path), []
        while not done.is_set():
            started = time.monotonic()
            try:
                mine.append((started, value(c)))
            except (OSError, http.client.HTTPException, ValueError) as e:
                out['errors'].append(f'loop {base}: {e}')
        loop_reads.extend(mine)

    threads = [threading.Thread(target=reader, args=(b,)) for b in bases for _ in range(2)]
    for t in threads:
        t.start()
    writers = [Conn(b + path) for b in bases]
    checkers = [Conn(b + path) for b in bases]
    end, k = time.monotonic() + float(seconds), 0
    try:
        while time.monotonic() < end:
            k += 1
            status, _, body = writers[k % len(bases)].request(
                'PUT', path, headers={'x-image-meta-property-v': str(k)})
            if status != 200:
                out['errors'].append(f'PUT {status} {body[:120]!r}')
                break
            acked.append(time.monotonic())
            out['writes'] += 1
            for base, c in zip(bases, checkers):
                seen = value(c)
                out['checked_reads'] += 1
                if seen != k:
                    out['stale_after_ack'] += 1
                    if len(out['stale_samples']) < 5:
                        out['stale_samples'].append(f'{base}: {seen} after {k}')
    except (OSError, http.client.HTTPException, ValueError) as e:
        out['errors'].append(f'writer: {e}')
    done.set()
    for t in threads:
        t.join()
    for started, seen in loop_reads:
        newest = bisect.bisect_left(acked, started) - 1
        if seen < newest:
            out['past'] += 1
    out['loop_reads'] = len(loop_reads)
    out['errors'] = out['errors'][:5]
    conn.request('DELETE', path)
    return out


COMMANDS = {'getloop': getloop, 'fetch': fetch, 'upload': upload,
            'writer': writer, 'create': create, 'ids': ids,
            'swifthead': swifthead, 'coherence': coherence}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    socket.setdefaulttimeout(TIMEOUT)
    result = COMMANDS[argv[0]](*argv[1:])
    json.dump(result, sys.stdout)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
