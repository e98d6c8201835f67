#!/usr/bin/python3
"""A private Debian Swift all-in-one on 127.0.0.1 for the swift store tests
(the proxy on SWIFT_BIND_IP when set).

Called by scripts/swift (see there for the commands).  Everything of one
Swift lives in one directory DIR:

  DIR/etc/    swift.conf (own hash prefix/suffix), the four server confs,
              the rings (*.ring.gz, *.builder)
  DIR/srv/d1  the one device (a plain directory)
  DIR/log/    memcached.log, account.log, container.log, object.log,
              proxy.log (the servers run with -v: their log on stderr)
  DIR/run/    one pidfile per process (each runs in its own session, so
              its pid is its process group)
  DIR/cache   recon_cache_path
  DIR/state   ports, the tempauth key, the hash prefix/suffix (mode 0600)
  DIR/swift.env  what the tests read (KEY=value, mode 0600)

Swift reads swift.conf from the hard-coded /etc/swift/swift.conf.  Every
server here is started through the `serve` command of this file instead: it
points swift.common.utils.SWIFT_CONF_FILE at DIR/etc/swift.conf before any
other swift module is imported, then runs the unchanged
/usr/bin/swift-*-server entry point; so all of DIR's processes read DIR's
swift.conf and /etc/swift is not used at all.  Run with /usr/bin/python3
(Debian's): a venv or pyenv python cannot import swift.

Only the standard library is imported here, except in `serve` and when the
rings are built (swift.common.ring, in this process: 9 swift-ring-builder
calls would take about 6 s).
"""

import fcntl
import hashlib
from http.client import HTTPConnection
import ipaddress
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proc_lib import alive, all_pids, child_env, cmdline, group_members, service_dir  # noqa: E402

FIRST_PORT = 20000  # below Linux's ephemeral range, as scripts/keystone
LAST_PORT = 32767
AVOID_PORTS = {9292, 9191, 5000, 25432, 27432}
READY_TIMEOUT = 90   # seconds for a server's first healthy answer
STOP_TIMEOUT = 10    # seconds after TERM before KILL
CHECK_TIMEOUT = 15   # seconds for the end-to-end probe to pass
PART_POWER = 6
REGION = 'RegionOne'
DOMAIN = 'default'
CHECK_CONTAINER = 'scripts-swift-check'

SERVERS = ('account', 'container', 'object')   # the storage servers
PROCS = ('memcached',) + SERVERS + ('proxy',)  # start order

ENV_KEYS = [
    'SWIFT_URL', 'SWIFT_PORT', 'SWIFT_AUTH_URL', 'SWIFT_AUTH_VERSION',
    'SWIFT_USER', 'SWIFT_KEY', 'SWIFT_STORAGE_URL', 'SWIFT_DEVICES',
    'SWIFT_PROXY_PID', 'SWIFT_OBJECT_PID',
]

T0 = time.monotonic()


class Error(Exception):
    pass


def log(msg):
    print('swift: ' + msg, file=sys.stderr, flush=True)


def trace(msg):
    if os.environ.get('SWIFT_TRACE'):
        log(f'{time.monotonic() - T0:6.2f} s {msg}')


# --- serve: the launcher every Swift server runs under -----------------------

def serve(swift_conf, entry_point, args):
    """Runs /usr/bin/swift-NAME-server with DIR's swift.conf."""
    import swift.common.utils as utils
    # swift.common.utils imports neither storage_policy nor constraints:
    # both read SWIFT_CONF_FILE when first imported (below, after this).
    utils.SWIFT_CONF_FILE = swift_conf
    utils.HASH_PATH_PREFIX = b''
    utils.HASH_PATH_SUFFIX = b''
    utils.validate_configuration()
    from swift.common import constraints, storage_policy
    storage_policy.reload_storage_policies()
    constraints.reload_constraints()
    import runpy
    sys.argv = [entry_point] + list(args)
    runpy.run_path(entry_point, run_name='__main__')


# --- the directory ------------------------------------------------------------

def read_kv(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith('#') and '=' in line:
                    k, v = line.split('=', 1)
                    out[k] = v
    except FileNotFoundError:
        pass
    return out


def write_file(path, text, mode=0o644):
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.rename(tmp, path)


def write_kv(path, values, order=()):
    keys = [k for k in order if k in values]
    keys += sorted(k for k in values if k not in order)
    write_file(path, ''.join(f'{k}={values[k]}\n' for k in keys), 0o600)


class Dir:
    def __init__(self, path, create=False):
        self.path = service_dir(path, create, r'A-Za-z0-9_./+,:@=-', Error)
        self.etc = self.file('etc')
        self.srv = self.file('srv')
        self.logs = self.file('log')
        self.run = self.file('run')
        self.cache = self.file('cache')
        self.env_file = self.file('swift.env')
        self.state_file = self.file('state')
        self.state = read_kv(self.state_file)
        self.env = read_kv(self.env_file)

    def file(self, *names):
        return os.path.join(self.path, *names)

    def lock(self):
        fd = os.open(self.file('.lock'), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                     0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self.state = read_kv(self.state_file)
        self.env = read_kv(self.env_file)
        return fd

    def save_state(self):
        write_kv(self.state_file, self.state)

    def save_env(self):
        write_kv(self.env_file, self.env, ENV_KEYS)

    def env_text(self):
        keys = [k for k in ENV_KEYS if k in self.env]
        keys += sorted(k for k in self.env if k not in ENV_KEYS)
        return ''.join(f'{k}={self.env[k]}\n' for k in keys)

    def conf(self, name):
        if name == 'memcached':
            return None
        return os.path.join(self.etc, f'{name}-server.conf')

    def pid_file(self, name):
        return os.path.join(self.run, f'{name}.pid')

    def log_file(self, name):
        return os.path.join(self.logs, f'{name}.log')

    def port(self, name):
        p = self.state.get(name.upper() + '_PORT')
        return int(p) if p else None

    def host(self, name):
        """The address `name` listens on: the proxy's is SWIFT_BIND_IP as of
        the last `up` (127.0.0.1 by default), the others' 127.0.0.1."""
        if name == 'proxy':
            return self.state.get('PROXY_IP') or '127.0.0.1'
        return '127.0.0.1'

    def recorded_pid(self, name):
        try:
            with open(self.pid_file(name)) as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            return None

    def mine(self, name, pid):
        """True when pid is alive and is DIR's process `name`."""
        if not pid or not alive(pid):
            return False
        cmd = cmdline(pid)
        if name == 'memcached':
            port = self.port('memcached')
            return (exe(pid) == '/usr/bin/memcached' and port is not None
                    and f' -p {port} ' in cmd + ' ')
        return f' {self.conf(name)} ' in cmd + ' '

    def pid(self, name):
        """The pid of DIR's process `name` when it runs, else None."""
        pid = self.recorded_pid(name)
        return pid if self.mine(name, pid) else None


# --- processes ----------------------------------------------------------------

def exe(pid):
    try:
        return os.readlink(f'/proc/{pid}/exe')
    except OSError:
        return ''


def reap(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_gone(pids, timeout):
    deadline = time.monotonic() + timeout
    while True:
        for p in pids:
            reap(p)
        left = [p for p in pids if alive(p)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


def port_free(port, host='127.0.0.1'):
    """True when nobody listens on host:port (TIME_WAIT is fine: the
    servers bind with SO_REUSEADDR too)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port(taken, host='127.0.0.1'):
    rnd = random.SystemRandom()
    for _ in range(1000):
        port = rnd.randint(FIRST_PORT, LAST_PORT)
        if port in AVOID_PORTS or port in taken:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((host, port))  # no SO_REUSEADDR: really unused
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise Error(f'no free port in {FIRST_PORT}-{LAST_PORT} on {host}')


# --- HTTP ---------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body


def http(method, url, body=None, headers=None, timeout=10):
    u = urllib.parse.urlsplit(url)
    conn = HTTPConnection(u.hostname, u.port, timeout=timeout)
    path = u.path + ('?' + u.query if u.query else '')
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault('Content-Type', 'application/json')
    if body is None and method in ('PUT', 'POST'):
        body = b''
    try:
        conn.request(method, path or '/', body=body, headers=hdrs)
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read())
    finally:
        conn.close()


def healthy(port, host='127.0.0.1'):
    try:
        r = http('GET', f'http://{host}:{port}/healthcheck', timeout=2)
    except OSError:
        return False
    return r.status == 200 and r.body == b'OK'


def memcached_answers(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=2) as s:
            s.sendall(b'version\r\n')
            return s.recv(64).startswith(b'VERSION')
    except OSError:
        return False


def answers(name, port, host='127.0.0.1'):
    return memcached_answers(port) if name == 'memcached' else healthy(port, host)


# --- configuration ------------------------------------------------------------

SERVER_CONF = """\
# Written by scripts/swift: a private Swift for tests, nothing shared.
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 1
user = {user}
swift_dir = {etc}
devices = {srv}
mount_check = false
recon_cache_path = {cache}
log_level = INFO

[pipeline:main]
pipeline = healthcheck {name}-server

[app:{name}-server]
use = egg:swift#{name}

[filter:healthcheck]
use = egg:swift#healthcheck

[{name}-replicator]

[{name}-auditor]

[{name}-updater]
"""

PROXY_CONF = """\
# Written by scripts/swift: a private Swift for tests, nothing shared.
[DEFAULT]
bind_ip = {proxy_ip}
bind_port = {port}
workers = 1
user = {user}
swift_dir = {etc}
recon_cache_path = {cache}
log_level = INFO

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache \
listing_formats bulk tempurl {auth} copy slo dlo versioned_writes \
proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
# The default 60 s: a restarted server would still get 503s for a minute.
error_suppression_interval = 1

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:{memcached_port}
{auth_sections}
{plain_sections}"""

TEMPAUTH = """
[filter:tempauth]
use = egg:swift#tempauth
reseller_prefix = AUTH
token_life = 86400
user_test_tester = {key} .admin
"""

KEYSTONEAUTH = """
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = {keystone}/v3
auth_url = {keystone}
auth_type = password
project_domain_id = {domain}
user_domain_id = {domain}
project_name = {project}
username = {user}
password = {password}
delay_auth_decision = True
# The default, internal, is not in the catalog of scripts/keystone.
interface = public
# Swift's own memcache client (the cache filter comes first).
cache = swift.cache
include_service_catalog = False

[filter:keystoneauth]
use = egg:swift#keystoneauth
reseller_prefix = AUTH_
operator_roles = admin, member, service
"""

PLAIN_FILTERS = ('catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging',
                 'listing_formats', 'bulk', 'tempurl', 'copy', 'slo', 'dlo',
                 'versioned_writes')


def user_name():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def swift_conf_text(d):
    return ('# Written by scripts/swift: read by every Swift process of this '
            'directory\n# (through the launcher), never /etc/swift.\n'
            '[swift-hash]\n'
            f'swift_hash_path_prefix = {d.state["HASH_PREFIX"]}\n'
            f'swift_hash_path_suffix = {d.state["HASH_SUFFIX"]}\n\n'
            '[storage-policy:0]\nname = Policy-0\ndefault = yes\n\n'
            '[swift-constraints]\nmax_file_size = 5368709122\n')


def conf_texts(d, ks):
    """{name: text} of every conf file of DIR/etc."""
    common = dict(user=user_name(), etc=d.etc, srv=d.srv, cache=d.cache)
    texts = {'swift.conf': swift_conf_text(d)}
    for name in SERVERS:
        texts[f'{name}-server.conf'] = SERVER_CONF.format(
            name=name, port=d.port(name), **common)
    if ks:
        auth = 'authtoken keystoneauth'
        auth_sections = KEYSTONEAUTH.format(
            keystone=ks['KEYSTONE_URL'], domain=DOMAIN,
            project=ks['SERVICE_PROJECT'], user=ks['GLANCE_USER'],
            password=ks['GLANCE_PASSWORD'])
    else:
        auth = 'tempauth'
        auth_sections = TEMPAUTH.format(key=d.state['TEMPAUTH_KEY'])
    plain = ''.join(f'\n[filter:{f}]\nuse = egg:swift#{f.replace("-", "_")}\n'
                    for f in PLAIN_FILTERS)
    texts['proxy-server.conf'] = PROXY_CONF.format(
        port=d.port('proxy'), proxy_ip=d.host('proxy'),
        memcached_port=d.port('memcached'), auth=auth,
        auth_sections=auth_sections, plain_sections=plain, **common)
    return texts


def write_confs(d, ks):
    """Writes DIR/etc; returns the names of the files that changed."""
    changed = set()
    for name, text in conf_texts(d, ks).items():
        path = os.path.join(d.etc, name)
        try:
            with open(path) as f:
                if f.read() == text:
                    continue
        except FileNotFoundError:
            pass
        write_file(path, text)
        changed.add(name)
    return changed


def rings_signature(d):
    return ' '.join(f'{n}:{d.port(n)}' for n in SERVERS) + f' pp{PART_POWER}'


def rings_current(d):
    try:
        with open(os.path.join(d.etc, 'rings.sig')) as f:
            sig = f.read().strip()
    except FileNotFoundError:
        return False
    return sig == rings_signature(d) and all(
        os.path.exists(os.path.join(d.etc, f'{n}.ring.gz')) for n in SERVERS)


def build_rings(d):
    """One device 127.0.0.1:PORT/d1 per ring, 1 replica, part power 6 (what
    `swift-ring-builder X.builder create 6 1 1; add r1z1-...; rebalance`
    makes).  With one device every partition is on it, so rebuilding after a
    port change moves nothing."""
    from swift.common.ring import RingBuilder
    for name in SERVERS:
        b = RingBuilder(PART_POWER, 1, 1)
        port = d.port(name)
        b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1',
                   'port': port, 'replication_ip': '127.0.0.1',
                   'replication_port': port, 'device': 'd1',
                   'weight': 100, 'meta': ''})
        b.rebalance()
        b.save(os.path.join(d.etc, f'{name}.builder'))
        b.get_ring().save(os.path.join(d.etc, f'{name}.ring.gz'))
    write_file(os.path.join(d.etc, 'rings.sig'), rings_signature(d) + '\n')
    trace('rings built')


# --- Keystone -------------------------------------------------------------------

def read_keystone(ks_dir):
    path = os.path.join(os.path.abspath(ks_dir), 'keystone.env')
    ks = read_kv(path)
    need = ('KEYSTONE_URL', 'ADMIN_USER', 'ADMIN_PASSWORD', 'ADMIN_PROJECT',
            'GLANCE_USER', 'GLANCE_PASSWORD', 'SERVICE_PROJECT',
            'SERVICE_PROJECT_ID')
    missing = [k for k in need if not ks.get(k)]
    if missing:
        raise Error(f'{path}: no {", ".join(missing)} (is it a directory of '
                    '`scripts/keystone up`?)')
    ks['KEYSTONE_DIR'] = os.path.realpath(ks_dir)
    return ks


def keystone_token(ks, prefix, project):
    body = {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': ks[prefix + '_USER'], 'domain': {'id': DOMAIN},
            'password': ks[prefix + '_PASSWORD']}}},
        'scope': {'project': {'name': project, 'domain': {'id': DOMAIN}}}}}
    try:
        r = http('POST', ks['KEYSTONE_URL'] + '/v3/auth/tokens?nocatalog',
                 body)
    except OSError as e:
        raise Error(f'keystone {ks["KEYSTONE_URL"]} does not answer ({e})')
    if r.status != 201:
        raise Error(f'keystone token of {ks[prefix + "_USER"]}: {r.status} '
                    f'{r.body[:300]!r}')
    return r.headers['X-Subject-Token']


def register_object_store(d, ks):
    """The service swift (type object-store) and its public and internal
    endpoints in RegionOne, created or updated."""
    base = ks['KEYSTONE_URL']
    h = {'X-Auth-Token': keystone_token(ks, 'ADMIN', ks['ADMIN_PROJECT']),
         'Accept': 'application/json'}

    def call(method, path, body=None, expect=(200,)):
        r = http(method, base + path, body, h)
        if r.status not in expect:
            raise Error(f'keystone {method} {path}: {r.status} '
                        f'{r.body[:300]!r}')
        return json.loads(r.body) if r.body else None

    url = f'http://{d.host("proxy")}:{d.port("proxy")}/v1/AUTH_%(project_id)s'
    region = ks.get('KEYSTONE_REGION') or REGION
    services = [s for s in call('GET', '/v3/services?type=object-store')[
        'services'] if s['name'] == 'swift']
    if services:
        sid = services[0]['id']
    else:
        sid = call('POST', '/v3/services', {'service': {
            'name': 'swift', 'type': 'object-store', 'enabled': True,
            'description': 'Swift (scripts/swift)'}}, (201,))['service']['id']
    endpoints = call('GET', f'/v3/endpoints?service_id={sid}')['endpoints']
    for interface in ('public', 'internal'):
        mine = [ep for ep in endpoints if ep['interface'] == interface
                and ep.get('region_id') == region]
        if not mine:
            call('POST', '/v3/endpoints', {'endpoint': {
                'service_id': sid, 'interface': interface, 'url': url,
                'region_id': region, 'enabled': True}}, (201,))
        for ep in mine:
            if ep['url'] != url or not ep.get('enabled', True):
                call('PATCH', f'/v3/endpoints/{ep["id"]}', {'endpoint': {
                    'url': url, 'enabled': True}})
    trace('object-store endpoints registered')


# --- start and stop -------------------------------------------------------------

def spawn(d, name):
    port = d.port(name)
    out = open(d.log_file(name), 'ab')
    out.write(f'--- scripts/swift: {name} on {d.host(name)}:{port}, '
              f'{time.strftime("%Y-%m-%d %H:%M:%S")}\n'.encode())
    out.flush()
    mark = out.tell()
    if name == 'memcached':
        cmd = ['/usr/bin/memcached', '-l', '127.0.0.1', '-p', str(port),
               '-U', '0', '-m', '64', '-c', '1024', '-v']
        if os.getuid() == 0:
            cmd += ['-u', user_name()]  # memcached refuses root without -u
    else:
        cmd = ['/usr/bin/python3', os.path.abspath(__file__), 'serve',
               os.path.join(d.etc, 'swift.conf'),
               f'/usr/bin/swift-{name}-server', d.conf(name), '-v']
    proc = subprocess.Popen(cmd, cwd=d.path, env=child_env(),
                            stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    write_file(d.pid_file(name), f'{proc.pid}\n')
    trace(f'{name} spawned (pid {proc.pid}, port {port})')
    return proc, mark


def log_since(path, offset, lines=15):
    try:
        with open(path, 'rb') as f:
            f.seek(offset)
            text = f.read().decode(errors='replace')
    except OSError:
        return ''
    return '\n'.join(text.strip().splitlines()[-lines:])


def wait_ready(d, started):
    """started: {name: (proc, mark)}; waits until each answers."""
    deadline = time.monotonic() + READY_TIMEOUT
    pending = dict(started)
    while pending:
        for name, (proc, mark) in list(pending.items()):
            if proc.poll() is not None:
                tail = log_since(d.log_file(name), mark)
                raise Error(f'{name} server exited ({proc.returncode}), '
                            f'see {d.log_file(name)}:\n{tail}')
            if answers(name, d.port(name), d.host(name)):
                trace(f'{name} answers')
                del pending[name]
        if not pending:
            break
        if time.monotonic() > deadline:
            names = ', '.join(pending)
            raise Error(f'no answer from {names} after {READY_TIMEOUT} s: '
                        f'see {d.logs}')
        time.sleep(0.05)


def stop(d, names, sig=signal.SIGTERM):
    """Stops DIR's processes `names`: sig to each recorded pid (a Swift
    parent TERMed kills its own group), then KILL to what is left of their
    process groups; also whatever else still runs with a conf of DIR."""
    groups, pids = [], []
    for name in names:
        pid = d.recorded_pid(name)
        members = [p for p in group_members(pid) if own_process(d, p)] \
            if pid else []
        if members:
            groups.append(pid)
            pids += members
            try:
                if sig == signal.SIGKILL or pid not in members:
                    os.killpg(pid, sig)  # (a parent gone: its worker stays)
                else:
                    os.kill(pid, sig)
            except ProcessLookupError:
                pass
    left = wait_gone(pids, STOP_TIMEOUT)
    if left:
        log(f'still there after {STOP_TIMEOUT} s: {left}: KILL')
        for g in groups:
            try:
                os.killpg(g, signal.SIGKILL)
            except ProcessLookupError:
                pass
    # Strays: e.g. a worker of a parent killed alone, in no group we know.
    strays = [p for p in all_pids() if p != os.getpid() and alive(p) and
              any(d.mine(n, p) for n in names)]
    for p in strays:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    left = wait_gone(left + strays, 5)
    if left:
        raise Error(f'processes {left} of {d.path} do not go away')
    for name in names:
        try:
            os.unlink(d.pid_file(name))
        except FileNotFoundError:
            pass
        if name in ('proxy', 'object'):
            d.env.pop(f'SWIFT_{name.upper()}_PID', None)


def own_process(d, pid):
    return any(d.mine(n, pid) for n in PROCS)


def ensure_port(d, name, fixed=False):
    """DIR's `name` is not running: its recorded port must be free (it is
    waited for 3 s).  A port someone else took meanwhile is replaced by a
    new one (the rings follow), unless fixed (SWIFT_PORT, or start-*, which
    keep the rings and the proxy as they are): then it is an error."""
    port = d.port(name)
    deadline = time.monotonic() + 3
    while not port_free(port, d.host(name)):
        if time.monotonic() > deadline:
            if fixed:
                raise Error(f'port {port} for the {name} server is in use')
            taken = {d.port(n) for n in PROCS}
            new = free_port(taken, d.host(name))
            log(f'port {port} of the {name} server is in use: taking {new}')
            d.state[name.upper() + '_PORT'] = str(new)
            d.save_state()
            return True
        time.sleep(0.1)
    return False


# --- the end-to-end check ---------------------------------------------------------

def auth(d, ks):
    """(token, storage URL) of the identity in swift.env."""
    if ks:
        token = keystone_token(ks, 'GLANCE', ks['SERVICE_PROJECT'])
        return token, d.env['SWIFT_STORAGE_URL']
    r = http('GET', d.env['SWIFT_AUTH_URL'], headers={
        'X-Auth-User': d.env['SWIFT_USER'], 'X-Auth-Key': d.env['SWIFT_KEY']})
    if r.status != 200 or not r.headers.get('X-Auth-Token'):
        raise Error(f'GET {d.env["SWIFT_AUTH_URL"]}: {r.status} '
                    f'{r.body[:200]!r}')
    return r.headers['X-Auth-Token'], r.headers['X-Storage-Url']


def probe(d, ks):
    """Token, then PUT/GET/DELETE of a tiny object (its tombstone removed
    afterwards, so DIR/srv keeps nothing of it) and the container."""
    token, url = auth(d, ks)
    h = {'X-Auth-Token': token}
    obj = 'probe-' + secrets.token_hex(8)
    body = secrets.token_bytes(16)
    curl = f'{url}/{CHECK_CONTAINER}'
    steps = [('PUT', curl, None, (201, 202)),
             ('PUT', f'{curl}/{obj}', body, (201,)),
             ('GET', f'{curl}/{obj}', None, (200,)),
             ('DELETE', f'{curl}/{obj}', None, (204,))]
    for method, u, data, expect in steps:
        r = http(method, u, data, h)
        if r.status not in expect:
            raise Error(f'{method} {u}: {r.status} {r.body[:200]!r}')
        if method == 'GET' and r.body != body:
            raise Error(f'GET {u}: other bytes than those PUT')
    drop_tombstone(d, urllib.parse.unquote(urllib.parse.urlsplit(url).path)
                   .split('/')[2], obj)
    for _ in range(20):
        r = http('DELETE', curl, None, h)
        if r.status in (204, 404):
            break
        time.sleep(0.05)  # 409: the listing update is still under way


def drop_tombstone(d, account, obj):
    name = f'/{account}/{CHECK_CONTAINER}/{obj}'.encode()
    digest = hashlib.md5(d.state['HASH_PREFIX'].encode() + name +
                         d.state['HASH_SUFFIX'].encode()).hexdigest()
    part = int(digest[:8], 16) >> (32 - PART_POWER)
    suffix_dir = os.path.join(d.srv, 'd1', 'objects', str(part), digest[-3:])
    hash_dir = os.path.join(suffix_dir, digest)
    try:
        for f in os.listdir(hash_dir):
            if f.endswith('.ts'):
                os.unlink(os.path.join(hash_dir, f))
        os.rmdir(hash_dir)
        os.rmdir(suffix_dir)
    except OSError:
        pass


def check(d, ks, timeout=CHECK_TIMEOUT):
    """probe() until it passes (a restarted server may be error-limited by
    the proxy for a second)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            probe(d, ks)
            trace('probe passed')
            return
        except (Error, OSError) as e:
            if time.monotonic() > deadline:
                raise Error(f'end-to-end check failed: {e}')
            time.sleep(0.2)


# --- commands -------------------------------------------------------------------

def prepare(d):
    """Directories, the state (ports, key, hash strings) of a new DIR."""
    for p in (d.etc, d.logs, d.run, d.cache, os.path.join(d.srv, 'd1')):
        os.makedirs(p, exist_ok=True)
    s = d.state
    s.setdefault('TEMPAUTH_KEY', secrets.token_hex(16))
    s.setdefault('HASH_PREFIX', secrets.token_hex(8))
    s.setdefault('HASH_SUFFIX', secrets.token_hex(8))
    fixed = os.environ.get('SWIFT_PORT')
    if fixed:
        if not fixed.isdigit() or not 0 < int(fixed) < 65536:
            raise Error(f'SWIFT_PORT={fixed}: not a port')
        s['PROXY_PORT'] = fixed
    ip = os.environ.get('SWIFT_BIND_IP') or '127.0.0.1'
    try:
        if ipaddress.ip_address(ip).version != 4:
            raise ValueError
    except ValueError:
        raise Error(f'SWIFT_BIND_IP={ip}: not an IPv4 address')
    s['PROXY_IP'] = ip
    taken = {int(v) for k, v in s.items() if k.endswith('_PORT')}
    for name in PROCS:
        key = name.upper() + '_PORT'
        if not s.get(key):
            s[key] = str(free_port(taken, d.host(name)))
            taken.add(int(s[key]))
    d.save_state()


def make_env(d, ks):
    port = d.port('proxy')
    url = f'http://{d.host("proxy")}:{port}'
    e = {'SWIFT_URL': url, 'SWIFT_PORT': str(port),
         'SWIFT_DEVICES': d.srv, 'SWIFT_DIR': d.path,
         'SWIFT_OBJECT_PORT': str(d.port('object')),
         'SWIFT_CONTAINER_PORT': str(d.port('container')),
         'SWIFT_ACCOUNT_PORT': str(d.port('account')),
         'SWIFT_MEMCACHED_PORT': str(d.port('memcached'))}
    if ks:
        e.update({
            'SWIFT_AUTH_MODE': 'keystone',
            'SWIFT_AUTH_URL': ks['KEYSTONE_URL'] + '/v3',
            'SWIFT_AUTH_VERSION': '3',
            'SWIFT_USER': f'{ks["SERVICE_PROJECT"]}:{ks["GLANCE_USER"]}',
            'SWIFT_KEY': ks['GLANCE_PASSWORD'],
            'SWIFT_STORAGE_URL': f'{url}/v1/AUTH_{ks["SERVICE_PROJECT_ID"]}',
            'SWIFT_KEYSTONE_DIR': ks['KEYSTONE_DIR'],
            'SWIFT_PROJECT': ks['SERVICE_PROJECT'],
            'SWIFT_PROJECT_ID': ks['SERVICE_PROJECT_ID'],
            'SWIFT_USER_DOMAIN_ID': DOMAIN,
            'SWIFT_PROJECT_DOMAIN_ID': DOMAIN,
            'SWIFT_REGION': ks.get('KEYSTONE_REGION') or REGION,
        })
    else:
        e.update({
            'SWIFT_AUTH_MODE': 'tempauth',
            'SWIFT_AUTH_URL': f'{url}/auth/v1.0',
            'SWIFT_AUTH_VERSION': '1',
            'SWIFT_USER': 'test:tester',
            'SWIFT_KEY': d.state['TEMPAUTH_KEY'],
            'SWIFT_STORAGE_URL': f'{url}/v1/AUTH_test',
        })
    for name in ('proxy', 'object'):
        pid = d.pid(name)
        if pid:
            e[f'SWIFT_{name.upper()}_PID'] = str(pid)
    d.env = e
    d.save_env()


def keystone_of(d):
    """The keystone.env of the Keystone DIR's proxy is configured for."""
    ks_dir = d.state.get('KEYSTONE_DIR')
    return read_keystone(ks_dir) if ks_dir else None


def up(d, ks_dir):
    started_at = time.monotonic()
    prepare(d)
    if ks_dir:
        ks = read_keystone(ks_dir)
        d.state['KEYSTONE_DIR'] = ks['KEYSTONE_DIR']
    else:
        ks = None
        d.state.pop('KEYSTONE_DIR', None)
    d.save_state()
    running = {n: d.pid(n) for n in PROCS}
    # Leftovers of a dead parent (e.g. its worker holding the port).
    dead = [n for n in PROCS if not running[n] and d.recorded_pid(n)]
    if dead:
        stop(d, dead, signal.SIGKILL)
    # A port that someone else took meanwhile (SWIFT_PORT: insist).
    for name in PROCS:
        if not running[name]:
            ensure_port(d, name, fixed=(name == 'proxy' and
                                        bool(os.environ.get('SWIFT_PORT'))))
    changed = write_confs(d, ks)
    restart = [n for n in SERVERS + ('proxy',)
               if running[n] and (f'{n}-server.conf' in changed or
                                  'swift.conf' in changed)]
    if running['proxy'] and not rings_current(d) and 'proxy' not in restart:
        restart.append('proxy')
    if restart:
        log(f'configuration changed: restarting {", ".join(restart)}')
        stop(d, restart)
        for n in restart:
            running[n] = None
            ensure_port(d, n, fixed=(n == 'proxy' and
                                     bool(os.environ.get('SWIFT_PORT'))))
        write_confs(d, ks)
    started = {}
    try:
        for name in PROCS[:-1]:
            if not running[name]:
                started[name] = spawn(d, name)
        # The storage servers load no ring: built while they start.
        if not rings_current(d):
            build_rings(d)
        if not running['proxy']:
            started['proxy'] = spawn(d, 'proxy')
        wait_ready(d, started)
        # The ones that ran already must answer too.
        for name in PROCS:
            if name not in started and not answers(name, d.port(name),
                                                   d.host(name)):
                raise Error(f'the running {name} server (pid '
                            f'{running[name]}) does not answer: `scripts/'
                            f'swift down {d.path}` and up again')
        if ks:
            register_object_store(d, ks)
        make_env(d, ks)
        check(d, ks)
    except BaseException:
        # Nothing this `up` started is left behind (the logs are).
        if started:
            stop(d, list(started))
            d.save_env()
        raise
    what = 'started' if started else 'running'
    log(f'{what} on {d.env["SWIFT_URL"]} ({d.env["SWIFT_AUTH_MODE"]}) in '
        f'{time.monotonic() - started_at:.1f} s')


def down(d):
    stop(d, list(reversed(PROCS)))
    if d.env:
        d.save_env()


def need_setup(d):
    if not d.state.get('PROXY_PORT') or not os.path.exists(
            os.path.join(d.etc, 'proxy-server.conf')):
        raise Error(f'{d.path}: no swift set up there (run up first)')


def kill_one(d, name):
    need_setup(d)
    stop(d, [name], signal.SIGKILL)
    d.save_env()


def start_one(d, name):
    need_setup(d)
    if not d.pid(name):
        if d.recorded_pid(name):
            stop(d, [name], signal.SIGKILL)
        ensure_port(d, name, fixed=True)
        wait_ready(d, {name: spawn(d, name)})
    elif not healthy(d.port(name), d.host(name)):
        raise Error(f'the running {name} server does not answer')
    ks = keystone_of(d)
    make_env(d, ks)
    check(d, ks)


def token(d):
    need_setup(d)
    ks = keystone_of(d)
    if not d.env.get('SWIFT_AUTH_URL'):
        make_env(d, ks)
    print(auth(d, ks)[0])


def main(argv):
    usage = ('usage: scripts/swift up DIR [--keystone KEYSTONE_DIR] | '
             '{down|env|token|stop-proxy|start-proxy|kill-object|'
             'start-object} DIR')
    if argv[:1] == ['serve'] and len(argv) >= 3:
        serve(argv[1], argv[2], argv[3:])
        return 0
    if len(argv) < 2:
        print(usage, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    ks_dir = None
    if cmd == 'up' and len(args) == 3 and args[1] == '--keystone':
        ks_dir = args[2]
        args = args[:1]
    elif cmd == 'up' and len(args) == 3 and args[0] == '--keystone':
        ks_dir = args[1]
        args = args[2:]
    cmds = ('up', 'down', 'env', 'token', 'stop-proxy', 'start-proxy',
            'kill-object', 'start-object')
    if cmd not in cmds or len(args) != 1:
        print(usage, file=sys.stderr)
        return 2
    if cmd == 'down' and not os.path.isdir(args[0]):
        return 0  # nothing ran there
    try:
        d = Dir(args[0], create=(cmd == 'up'))
        if cmd == 'env':
            if not d.env:
                raise Error(f'{d.env_file}: missing (run up first)')
            sys.stdout.write(d.env_text())
            return 0
        lock = d.lock()
        try:
            if cmd == 'up':
                up(d, ks_dir)
                sys.stdout.write(d.env_text())
            elif cmd == 'down':
                down(d)
            elif cmd == 'token':
                token(d)
            elif cmd in ('stop-proxy', 'kill-object'):
                kill_one(d, cmd.split('-')[1])
            elif cmd in ('start-proxy', 'start-object'):
                start_one(d, cmd.split('-')[1])
        finally:
            os.close(lock)
    except Error as e:
        log(f'{cmd}: {e}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
