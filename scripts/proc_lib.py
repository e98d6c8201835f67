"""Process helpers shared by the private services' scripts (keystone_lib.py,
swift_lib.py): /proc reads, process groups, and the environment Debian's
python3 programs are started with (pyenv's python3 is first on PATH here)."""
import os
import re


def proc_stat(pid):
    """The fields of /proc/PID/stat after the command: [state, ppid, pgrp, ...]."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rindex(')') + 2:].split()


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] not in ('Z', 'X')


def cmdline(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return ''


def all_pids():
    return [int(n) for n in os.listdir('/proc') if n.isdigit()]


def group_members(pgid):
    """The living processes of process group pgid."""
    out = []
    for pid in all_pids():
        st = proc_stat(pid)
        if st and st[2] == str(pgid) and st[0] not in ('Z', 'X'):
            out.append(pid)
    return out


def child_env():
    """The environment for Debian's python programs and daemons."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('PYTHON') and k not in ('VIRTUAL_ENV', 'CONDA_PREFIX')}
    env['PATH'] = '/usr/sbin:/usr/bin:/sbin:/bin'
    env['PYTHONNOUSERSITE'] = '1'
    env['LC_ALL'] = 'C.UTF-8'
    return env


def service_dir(path, create, allowed, error):
    """The real path of a service's directory, checked to hold only the
    characters in `allowed` (a regex character class body: it goes into
    config files and KEY=value lines); `error` is the exception type."""
    path = os.path.abspath(path)
    if not re.fullmatch(f'[{allowed}]+', path):
        raise error(f'{path}: only letters, digits and {allowed[9:]} please')
    if create:
        os.makedirs(path, exist_ok=True)
    elif not os.path.isdir(path):
        raise error(f'{path}: no such directory')
    return os.path.realpath(path)
