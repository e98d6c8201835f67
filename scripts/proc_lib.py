"""Process helpers shared by the private services' scripts (keystone_lib.py,
swift_lib.py): /proc reads, process groups, and the environment Debian's
python3 programs are started with (pyenv's python3 is first on PATH here)."""
import os


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
