#!/usr/bin/python3
"""A private Debian Keystone on 127.0.0.1 for the local stack and the tests.

Called by scripts/keystone (see there for the commands).  Everything lives
in one directory DIR: keystone.conf, keystone.db (sqlite, WAL), the fernet
and credential keys, the logs, keystone.pid and keystone.env (the
identities and their passwords, mode 0600).  The REST calls use the
standard library only; keystone's own modules are imported only to mint
expired tokens (expired-token).  Run with /usr/bin/python3: a venv or pyenv
python cannot import keystone.

Why one file of about 900 lines: scripts/keystone execs it as one program,
and every command needs the same pieces (the DIR layout and its lock, the
REST helpers, the server's start, readiness and stop); split into modules
each would import all the others.
"""

import base64
import datetime
import fcntl
import json
import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proc_lib import alive, child_env, cmdline, group_members, service_dir  # noqa: E402

FIRST_PORT = 20000  # below Linux's ephemeral range (32768-60999), as
LAST_PORT = 32767   # test/support/free_port.h
READY_TIMEOUT = 240  # seconds for the server's first answer (a busy box)
STOP_TIMEOUT = 10    # seconds after TERM before KILL
REGION = 'RegionOne'
DOMAIN = 'default'

# Who is who: the name used on the command line, its env prefix, its
# project's env prefix and the role on that project.
USERS = {
    'admin': ('ADMIN', 'ADMIN', 'admin'),
    'glance': ('GLANCE', 'SERVICE', 'service'),
    'demo': ('DEMO', 'DEMO', 'member'),
    'alt_demo': ('ALT_DEMO', 'ALT_DEMO', 'member'),
}
ENV_KEYS = [
    'KEYSTONE_URL', 'KEYSTONE_PORT', 'KEYSTONE_PID', 'KEYSTONE_DIR',
    'ADMIN_USER', 'ADMIN_PASSWORD', 'ADMIN_USER_ID', 'ADMIN_PROJECT',
    'ADMIN_PROJECT_ID',
    'GLANCE_USER', 'GLANCE_PASSWORD', 'GLANCE_USER_ID', 'GLANCE_ROLE',
    'SERVICE_PROJECT', 'SERVICE_PROJECT_ID',
    'DEMO_USER', 'DEMO_PASSWORD', 'DEMO_USER_ID', 'DEMO_PROJECT',
    'DEMO_PROJECT_ID',
    'ALT_DEMO_USER', 'ALT_DEMO_PASSWORD', 'ALT_DEMO_USER_ID',
    'ALT_DEMO_PROJECT', 'ALT_DEMO_PROJECT_ID',
    'KEYSTONE_REGION',
]

CONF_TEMPLATE = """\
# Written by scripts/keystone: a private Keystone for tests, nothing shared.
[DEFAULT]
log_file = {d}/keystone.log
debug = false
[database]
connection = sqlite:///{d}/keystone.db
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = {d}/fernet-keys
max_active_keys = 3
[fernet_receipts]
key_repository = {d}/fernet-keys
[credential]
key_repository = {d}/credential-keys
[identity]
# bcrypt cost 4: about 1 ms per password check instead of 259 ms.
password_hash_rounds = 4
[oslo_policy]
enforce_new_defaults = false
enforce_scope = false
[cache]
# Without it one validation costs about a second of CPU.
enabled = true
backend = dogpile.cache.memory
"""


class Error(Exception):
    pass


class PortInUse(Error):
    pass


T0 = time.monotonic()


def log(msg):
    print('keystone: ' + msg, file=sys.stderr, flush=True)


def trace(msg):
    if os.environ.get('KEYSTONE_TRACE'):
        log(f'{time.monotonic() - T0:6.2f} s {msg}')


# --- the directory ----------------------------------------------------------

class Dir:
    def __init__(self, path, create=False):
        self.path = service_dir(path, create, r'A-Za-z0-9_./+,:@%=-', Error)
        self.conf = self.file('keystone.conf')
        self.env_file = self.file('keystone.env')
        self.pid_file = self.file('keystone.pid')
        self.db = self.file('keystone.db')
        self.env = self.read_env()

    def file(self, name):
        return os.path.join(self.path, name)

    def marker(self, name):
        return os.path.exists(self.file('.' + name))

    def mark(self, name):
        with open(self.file('.' + name), 'w'):
            pass

    def lock(self):
        fd = os.open(self.file('.lock'), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                     0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self.env = self.read_env()  # as the last holder of the lock left it
        return fd

    def read_env(self):
        env = {}
        try:
            with open(self.env_file) as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith('#') and '=' in line:
                        k, v = line.split('=', 1)
                        env[k] = v
        except FileNotFoundError:
            pass
        return env

    def write_env(self):
        tmp = self.env_file + '.tmp'
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(self.env_text())
        os.rename(tmp, self.env_file)

    def env_text(self):
        keys = [k for k in ENV_KEYS if k in self.env]
        keys += sorted(k for k in self.env if k not in ENV_KEYS)
        return ''.join(f'{k}={self.env[k]}\n' for k in keys)

    def complete(self):
        return all(self.env.get(k) for k in ENV_KEYS)

    @property
    def url(self):
        return 'http://127.0.0.1:' + self.env['KEYSTONE_PORT']

    def recorded_pid(self):
        try:
            with open(self.pid_file) as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            return None

    def server_pid(self):
        """The pid of this directory's uwsgi master when it runs, else None."""
        pid = self.recorded_pid()
        if pid and alive(pid) and self.conf in cmdline(pid):
            return pid
        return None


# --- processes --------------------------------------------------------------

def listening_inodes(port):
    """Inodes of the TCP sockets listening on 127.0.0.1:port (or any)."""
    inodes = set()
    for table in ('/proc/net/tcp',):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    p = line.split()
                    local, state, inode = p[1], p[3], p[9]
                    addr, hexport = local.split(':')
                    if state == '0A' and int(hexport, 16) == port and \
                            addr in ('0100007F', '00000000'):
                        inodes.add(inode)
        except OSError:
            pass
    return inodes


def holds_socket(pid, inodes):
    try:
        for fd in os.listdir(f'/proc/{pid}/fd'):
            try:
                link = os.readlink(f'/proc/{pid}/fd/{fd}')
            except OSError:
                continue
            if link.startswith('socket:[') and link[8:-1] in inodes:
                return True
    except OSError:
        pass
    return False


def stop_group(pid):
    """TERM the process group of pid, wait, KILL after STOP_TIMEOUT s."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT
    while group_members(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if group_members(pid):
        log(f'process group {pid} still there after {STOP_TIMEOUT} s: KILL')
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 5
        while group_members(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    # Our own child (when up started it and failed): reap it.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


# --- HTTP -------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else None


def http(method, url, body=None, headers=None, timeout=30):
    data = None
    hdrs = {'Accept': 'application/json'}
    if body is not None:
        data = json.dumps(body).encode()
        hdrs['Content-Type'] = 'application/json'
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


class Api:
    """REST calls to one Keystone with one token."""

    def __init__(self, base, token=None):
        self.base = base
        self.token = token

    def call(self, method, path, body=None, expect=(200,), headers=None):
        h = {'X-Auth-Token': self.token} if self.token else {}
        h.update(headers or {})
        r = http(method, self.base + path, body, h)
        if r.status not in expect:
            raise Error(f'{method} {path}: {r.status} {r.body[:300]!r}')
        return r

    def get(self, path):
        return self.call('GET', path).json()

    def post(self, path, body):
        return self.call('POST', path, body, expect=(201,)).json()


def password_token(base, user, password, project):
    body = {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'domain': {'id': DOMAIN}, 'password': password}}},
        'scope': {'project': {'name': project, 'domain': {'id': DOMAIN}}}}}
    r = http('POST', base + '/v3/auth/tokens?nocatalog', body)
    if r.status != 201:
        raise Error(f'token for {user}: {r.status} {r.body[:300]!r}')
    return r.headers['X-Subject-Token'], r.json()['token']


def user_token(d, user):
    prefix, project_prefix, _ = who(user)
    token, _ = password_token(d.url, d.env[prefix + '_USER'],
                              d.env[prefix + '_PASSWORD'],
                              d.env[project_prefix + '_PROJECT'])
    return token


def who(user):
    if user not in USERS:
        raise Error(f'unknown user {user!r} (one of {", ".join(USERS)})')
    return USERS[user]


def answering(d, pid):
    """True when pid serves GET /v3 on d's port."""
    if not d.env.get('KEYSTONE_PORT'):
        return False
    port = int(d.env['KEYSTONE_PORT'])
    if not holds_socket(pid, listening_inodes(port)):
        return False
    try:
        r = http('GET', d.url + '/v3', timeout=10)
    except OSError:
        return False
    return r.status == 200


# --- up ---------------------------------------------------------------------

def free_port():
    rnd = random.SystemRandom()
    for _ in range(1000):
        port = rnd.randint(FIRST_PORT, LAST_PORT)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(('127.0.0.1', port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise Error(f'no free port in {FIRST_PORT}-{LAST_PORT} on 127.0.0.1')


def write_keys(directory):
    """What keystone-manage fernet_setup writes: 0 (staged), 1 (primary)."""
    if os.path.isdir(directory) and os.listdir(directory):
        return
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    for name in ('0', '1'):
        path = os.path.join(directory, name)
        fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        with os.fdopen(fd, 'wb') as f:
            f.write(base64.urlsafe_b64encode(os.urandom(32)))
        os.rename(path + '.tmp', path)


def prepare(d):
    """Names, passwords, conf and keys of a new directory (kept afterwards)."""
    env = d.env
    if d.marker('db-synced') and not env.get('ADMIN_PASSWORD'):
        raise Error(f'{d.env_file} is missing or incomplete: remove '
                    f'{d.path} to start afresh')
    env['KEYSTONE_DIR'] = d.path
    env.setdefault('KEYSTONE_REGION', REGION)
    env.setdefault('GLANCE_ROLE', 'service')
    for user, (prefix, project_prefix, _) in USERS.items():
        env.setdefault(prefix + '_USER', user)
        env.setdefault(prefix + '_PASSWORD', secrets.token_hex(16))
        env.setdefault(project_prefix + '_PROJECT',
                       'service' if user == 'glance' else user)
    d.write_env()
    with open(d.conf + '.tmp', 'w') as f:
        f.write(CONF_TEMPLATE.format(d=d.path))
    os.rename(d.conf + '.tmp', d.conf)
    for keys in ('fernet-keys', 'credential-keys'):
        path = d.file(keys)
        if not d.marker('db-synced'):
            write_keys(path)
        elif not (os.path.isdir(path) and os.listdir(path)):
            # New keys would silently void every token and credential.
            raise Error(f'{path} is missing or empty: remove {d.path} '
                        'to start afresh')


def manage(d, *args):
    """Starts keystone-manage; its output goes to DIR/keystone-manage.log."""
    with open(d.file('keystone-manage.log'), 'ab') as out:
        return subprocess.Popen(
            ['/usr/bin/keystone-manage', '--config-file', d.conf] + list(args),
            cwd=d.path, env=child_env(), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT)


def wait_manage(d, proc, what):
    if proc.wait() != 0:
        raise Error(f'keystone-manage {what} failed ({proc.returncode}): '
                    f'see {d.file("keystone-manage.log")}')


def db_sync(d):
    for suffix in ('', '-wal', '-shm'):
        try:
            os.unlink(d.db + suffix)
        except FileNotFoundError:
            pass
    trace('db_sync')
    wait_manage(d, manage(d, 'db_sync'), 'db_sync')
    trace('db_sync done')
    # Without WAL every REST write fails with "database is locked".
    con = sqlite3.connect(d.db)
    mode = con.execute('PRAGMA journal_mode=WAL').fetchone()[0]
    con.close()
    if mode.lower() != 'wal':
        raise Error(f'{d.db}: journal_mode is {mode}, not wal')
    d.mark('db-synced')


def bootstrap(d):
    e = d.env
    # The identity endpoint names this port (fix_identity_endpoint follows
    # the server when it moves).
    e['KEYSTONE_CATALOG_PORT'] = e['KEYSTONE_PORT']
    return manage(d, 'bootstrap',
                  '--bootstrap-username', e['ADMIN_USER'],
                  '--bootstrap-password', e['ADMIN_PASSWORD'],
                  '--bootstrap-project-name', e['ADMIN_PROJECT'],
                  '--bootstrap-role-name', 'admin',
                  '--bootstrap-service-name', 'keystone',
                  '--bootstrap-region-id', REGION,
                  '--bootstrap-public-url', d.url + '/v3')


def spawn_server(d, port):
    log_path = d.file('server.log')
    out = open(log_path, 'ab')
    mark = out.tell()
    cmd = ['/usr/bin/uwsgi-core', '--plugin', 'python3,http',
           '--http', f'127.0.0.1:{port}', '--http-keepalive',
           '--wsgi-file', '/usr/bin/keystone-wsgi-public',
           '--env', f'OS_KEYSTONE_CONFIG_FILES={d.conf}',
           '--chdir', d.path, '--master', '--processes', '1',
           '--threads', '1', '--enable-threads', '--lazy-apps', '--need-app',
           '--die-on-term', '--no-orphans', '--buffer-size', '65535',
           '--disable-logging', '--logto', log_path]
    proc = subprocess.Popen(cmd, cwd=d.path, env=child_env(),
                            stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    with open(d.pid_file + '.tmp', 'w') as f:
        f.write(f'{proc.pid}\n')
    os.rename(d.pid_file + '.tmp', d.pid_file)
    return proc, mark


def log_since(path, offset):
    try:
        with open(path, 'rb') as f:
            f.seek(offset)
            return f.read().decode(errors='replace')
    except OSError:
        return ''


class Once:
    """Calls fn the first time it is called; result keeps what fn returned."""

    def __init__(self, fn):
        self.fn = fn
        self.result = None

    def __call__(self):
        if self.fn:
            fn, self.fn = self.fn, None
            self.result = fn()


def start_server(d, fixed_port, side_job=None, tries=8):
    """Starts uwsgi and waits for GET /v3; returns the uwsgi master's pid.
    With fixed_port None a new free port is tried after a bind failure; else
    the recorded or given port is tried `tries` times, a second apart.
    side_job (a Once) runs as soon as a server is spawned, while it loads."""
    attempts = 0
    while True:
        attempts += 1
        port = fixed_port or free_port()
        d.env['KEYSTONE_PORT'] = str(port)
        d.env['KEYSTONE_URL'] = d.url
        proc, mark = spawn_server(d, port)
        if side_job:
            side_job()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if answering(d, proc.pid):
                trace('server answers')
                return proc.pid
            if 'DAMN ! worker' in log_since(d.file('server.log'), mark):
                break  # the app does not load: uwsgi would respawn forever
            time.sleep(0.2)
        out = log_since(d.file('server.log'), mark)
        if proc.poll() is None:
            stop_group(proc.pid)
            os.unlink(d.pid_file)
            tail = '\n'.join(out.strip().splitlines()[-15:])
            if 'DAMN ! worker' in out:
                raise Error(f'the keystone app does not load:\n{tail}')
            raise Error(f'no answer on {d.url}/v3 after {READY_TIMEOUT} s: '
                        f'see {d.file("server.log")}')
        proc.wait()
        os.unlink(d.pid_file)
        if 'Address already in use' in out:
            if attempts >= (tries if fixed_port else 8):
                raise PortInUse(f'port {port}: bind failed {attempts} times')
            if fixed_port:
                log(f'port {port} is in use, trying again')
                time.sleep(1)
            else:
                log(f'port {port} was taken meanwhile, trying another')
            continue
        tail = '\n'.join(out.strip().splitlines()[-15:])
        raise Error(f'uwsgi exited ({proc.returncode}):\n{tail}')


def admin_api(d):
    token, body = password_token(d.url, d.env['ADMIN_USER'],
                                 d.env['ADMIN_PASSWORD'],
                                 d.env['ADMIN_PROJECT'])
    api = Api(d.url, token)
    api.user_id = body['user']['id']
    api.project_id = body['project']['id']
    return api


def create_or_find(api, collection, body, query=''):
    """POST, or on 409 (there from an interrupted run) the one by name."""
    key = collection[:-1]
    r = api.call('POST', f'/v3/{collection}', {key: body}, expect=(201, 409))
    if r.status == 201:
        return r.json()[key]['id']
    found = api.get(f'/v3/{collection}?name={body["name"]}{query}')[collection]
    if not found:
        raise Error(f'POST /v3/{collection} {body["name"]}: 409, '
                    'yet no such name')
    return found[0]['id']


def create_identities(d, api):
    """About 14 calls: users, projects, role assignments, token checks."""
    e = d.env
    e['ADMIN_USER_ID'] = api.user_id
    e['ADMIN_PROJECT_ID'] = api.project_id
    roles = {r['name']: r['id'] for r in api.get('/v3/roles')['roles']}
    if 'member' not in roles:
        raise Error('no role member (bootstrap makes it)')
    if 'service' not in roles:
        roles['service'] = create_or_find(api, 'roles', {'name': 'service'})
    for user, (prefix, project_prefix, role) in USERS.items():
        if user == 'admin':
            continue
        pname = e[project_prefix + '_PROJECT']
        pid = create_or_find(api, 'projects', {
            'name': pname, 'domain_id': DOMAIN,
            'description': f'{pname} (scripts/keystone)'},
            f'&domain_id={DOMAIN}')
        uid = create_or_find(api, 'users', {
            'name': e[prefix + '_USER'], 'domain_id': DOMAIN,
            'password': e[prefix + '_PASSWORD'], 'default_project_id': pid},
            f'&domain_id={DOMAIN}')
        api.call('PUT', f'/v3/projects/{pid}/users/{uid}/roles/{roles[role]}',
                 expect=(204,))
        e[project_prefix + '_PROJECT_ID'] = pid
        e[prefix + '_USER_ID'] = uid
    # Every password works (also a check that the roles are in place).
    for user in USERS:
        if user != 'admin':
            user_token(d, user)
    d.mark('identities')


def fix_identity_endpoint(d, api):
    """The keystone service's public endpoint names the current port."""
    url = d.url + '/v3'
    services = api.get('/v3/services?type=identity')['services']
    for s in services:
        for ep in api.get(f'/v3/endpoints?service_id={s["id"]}')['endpoints']:
            if ep['url'] != url:
                api.call('PATCH', f'/v3/endpoints/{ep["id"]}',
                         {'endpoint': {'url': url}})
    d.env['KEYSTONE_CATALOG_PORT'] = d.env['KEYSTONE_PORT']


def up(d, resume_only=False):
    fixed = os.environ.get('KEYSTONE_PORT')
    if fixed:
        if not fixed.isdigit() or not 0 < int(fixed) < 65536:
            raise Error(f'KEYSTONE_PORT={fixed}: not a port')
        fixed = int(fixed)
    if resume_only and not d.marker('identities'):
        raise Error(f'{d.path}: no keystone set up there (run up first)')
    pid = d.server_pid()
    if pid and d.complete() and answering(d, pid):
        return
    started = time.monotonic()
    prepare(d)
    if pid and not answering(d, pid):
        log(f'server {pid} does not answer: restarting it')
        stop_group(pid)
        pid = None
    if pid is None and d.recorded_pid():
        stop_leftovers(d)
        os.unlink(d.pid_file)
    if not d.marker('db-synced'):
        # Schema first, then the server's start-up overlaps bootstrap (on
        # two cores, also overlapping db_sync gains nothing: measured).
        db_sync(d)
    boot = Once(None if d.marker('bootstrapped') else lambda: bootstrap(d))
    if pid is None:
        recorded = d.env.get('KEYSTONE_PORT')
        port = fixed or (int(recorded) if recorded else None)
        try:
            try:
                # The recorded port is retried only briefly by `up`.
                tries = 8 if (resume_only or fixed) else 2
                pid = start_server(d, port, boot, tries)
            except PortInUse:
                if resume_only or fixed:
                    raise
                # The recorded port is someone else's now: take another one.
                log(f'port {port} stays in use: taking another one')
                pid = start_server(d, None, boot)
        except BaseException:
            if boot.result is not None:
                boot.result.wait()  # no keystone-manage left behind
            raise
    boot()  # when the server was running already
    if boot.result is not None:
        wait_manage(d, boot.result, 'bootstrap')
        trace('bootstrap done')
        d.mark('bootstrapped')
    d.env['KEYSTONE_PID'] = str(pid)
    d.env['KEYSTONE_URL'] = d.url
    api = None
    if d.env.get('KEYSTONE_CATALOG_PORT') != d.env['KEYSTONE_PORT']:
        log(f'the identity endpoint moves to port {d.env["KEYSTONE_PORT"]}')
        api = admin_api(d)
        fix_identity_endpoint(d, api)
    if not d.marker('identities'):
        create_identities(d, api or admin_api(d))
    trace('identities done')
    d.write_env()
    log(f'up on {d.url} (pid {pid}) in {time.monotonic() - started:.1f} s')


def stop_leftovers(d):
    """A dead master's worker or router still in its group: stopped."""
    pid = d.recorded_pid()
    if pid and not alive(pid) and any(
            d.conf in cmdline(p) for p in group_members(pid)):
        log(f'stopping what is left of server {pid}')
        stop_group(pid)


def down(d):
    pid = d.recorded_pid()
    if pid is None:
        return
    if alive(pid) and d.conf in cmdline(pid):
        stop_group(pid)
    elif alive(pid):
        log(f'pid {pid} of {d.pid_file} is not this keystone: left alone')
    else:
        stop_leftovers(d)
    os.unlink(d.pid_file)
    d.env.pop('KEYSTONE_PID', None)
    if d.env:
        d.write_env()


# --- commands for tests -----------------------------------------------------

def need_setup(d):
    if not d.marker('identities') or not d.env.get('KEYSTONE_PORT'):
        raise Error(f'{d.path}: no keystone set up there (run up first)')


def register_image(d, glance_url):
    need_setup(d)
    glance_url = glance_url.rstrip('/')
    if not re.match(r'^https?://\S+$', glance_url):
        raise Error(f'{glance_url}: not an http(s) URL')
    api = admin_api(d)
    services = [s for s in api.get('/v3/services?type=image')['services']
                if s['name'] == 'glance']
    if services:
        sid = services[0]['id']
    else:
        sid = api.post('/v3/services', {'service': {
            'name': 'glance', 'type': 'image', 'enabled': True,
            'description': 'Glance Image Service'}})['service']['id']
    endpoints = api.get(f'/v3/endpoints?service_id={sid}')['endpoints']
    for interface in ('public', 'internal', 'admin'):
        mine = [ep for ep in endpoints if ep['interface'] == interface and
                ep.get('region_id') == REGION]
        if not mine:
            api.post('/v3/endpoints', {'endpoint': {
                'service_id': sid, 'interface': interface, 'url': glance_url,
                'region_id': REGION, 'enabled': True}})
            continue
        for ep in mine:
            if ep['url'] != glance_url or not ep.get('enabled', True):
                api.call('PATCH', f'/v3/endpoints/{ep["id"]}', {'endpoint': {
                    'url': glance_url, 'enabled': True}})


def openrc(d, etc):
    need_setup(d)
    os.makedirs(etc, exist_ok=True)
    e = d.env
    for user, suffix in (('admin', ''), ('demo', '.demo'),
                         ('alt_demo', '.alt_demo')):
        prefix, project_prefix, _ = USERS[user]
        values = [
            ('OS_AUTH_URL', e['KEYSTONE_URL'] + '/v3'),
            ('OS_USERNAME', e[prefix + '_USER']),
            ('OS_PASSWORD', e[prefix + '_PASSWORD']),
            ('OS_PROJECT_NAME', e[project_prefix + '_PROJECT']),
            ('OS_USER_DOMAIN_NAME', 'Default'),
            ('OS_PROJECT_DOMAIN_NAME', 'Default'),
            ('OS_IDENTITY_API_VERSION', '3'),
            ('OS_IMAGE_API_VERSION', '1'),
            ('OS_REGION_NAME', REGION),
        ]
        path = os.path.join(etc, 'openrc' + suffix)
        fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(f'# {user} on the keystone of {d.path} '
                    '(scripts/keystone openrc)\n')
            f.write(''.join(f'export {k}={v}\n' for k, v in values))
        os.rename(path + '.tmp', path)


def validate(d, service_token, token, allow_expired=False):
    q = '?nocatalog' + ('&allow_expired=1' if allow_expired else '')
    return http('GET', d.url + '/v3/auth/tokens' + q, headers={
        'X-Auth-Token': service_token, 'X-Subject-Token': token}).status


def expired_token(d, user):
    need_setup(d)
    prefix, project_prefix, _ = who(user)
    user_id = d.env[prefix + '_USER_ID']
    project_id = d.env[project_prefix + '_PROJECT_ID']

    import keystone.conf
    from keystone.token import token_formatters as tf
    from keystone.token import provider
    from keystone.common import utils as ks_utils
    conf = keystone.conf.CONF
    keystone.conf.configure(conf)
    conf(args=[], project='keystone', default_config_files=[d.conf])

    now = datetime.datetime.utcnow().replace(microsecond=0)
    expires = now - datetime.timedelta(hours=1)
    issued = expires - datetime.timedelta(seconds=conf.token.expiration)

    class Formatter(tf.TokenFormatter):
        # Also the fernet timestamp (keystone's issued_at) lies in the past,
        # as if the token had been issued expiration seconds before it ended.
        def pack(self, payload):
            at = int(issued.replace(tzinfo=datetime.timezone.utc).timestamp())
            return self.crypto.encrypt_at_time(payload, at).rstrip(
                b'=').decode('utf-8')

    token = Formatter().create_token(
        user_id, ks_utils.isotime(expires, subsecond=True),
        [provider.random_urlsafe_str()], tf.ProjectScopedPayload,
        methods=['password'], project_id=project_id)

    pid = d.server_pid()
    if pid and answering(d, pid):
        service = user_token(d, 'glance')
        plain = validate(d, service, token)
        allowed = validate(d, service, token, allow_expired=True)
        if plain != 404 or allowed != 200:
            raise Error(f'the minted token validates {plain} '
                        f'(expected 404) and {allowed} with allow_expired=1 '
                        '(expected 200)')
    else:
        log('keystone is not running: the token was not checked')
    return token


def revoke(d, token):
    need_setup(d)
    api = admin_api(d)
    r = http('DELETE', d.url + '/v3/auth/tokens', headers={
        'X-Auth-Token': api.token, 'X-Subject-Token': token})
    if r.status != 204:
        raise Error(f'{r.status} {r.body[:300]!r}')


# --- main -------------------------------------------------------------------

def main(argv):
    usage = ('usage: scripts/keystone {up|down|pause|resume|env} DIR | '
             'register-image DIR GLANCE_URL | openrc DIR ETC_DIR | '
             'token DIR USER | expired-token DIR USER | revoke DIR TOKEN')
    if len(argv) < 2:
        print(usage, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    nargs = {'up': 1, 'down': 1, 'pause': 1, 'resume': 1, 'env': 1,
             'register-image': 2, 'openrc': 2, 'token': 2,
             'expired-token': 2, 'revoke': 2}
    if nargs.get(cmd) != len(args):
        print(usage, file=sys.stderr)
        return 2
    if cmd in ('down', 'pause') and not os.path.isdir(args[0]):
        return 0  # nothing ran there
    try:
        d = Dir(args[0], create=(cmd == 'up'))
        if cmd in ('up', 'resume'):
            lock = d.lock()
            up(d, resume_only=(cmd == 'resume'))
            sys.stdout.write(d.env_text())
            os.close(lock)
        elif cmd in ('down', 'pause'):
            lock = d.lock()
            down(d)
            os.close(lock)
        elif cmd == 'env':
            need_setup(d)
            sys.stdout.write(d.env_text())
        elif cmd == 'register-image':
            register_image(d, args[1])
        elif cmd == 'openrc':
            openrc(d, os.path.abspath(args[1]))
        elif cmd == 'token':
            need_setup(d)
            print(user_token(d, args[1]))
        elif cmd == 'expired-token':
            print(expired_token(d, args[1]))
        elif cmd == 'revoke':
            revoke(d, args[1])
    except Error as e:
        log(f'{cmd}: {e}')
        return 1
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        log(f'{cmd}: keystone does not answer ({e})')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
