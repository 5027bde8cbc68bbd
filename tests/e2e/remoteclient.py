"""Running remote3d-client against a SPICE server for the end-to-end tests
and tools/bench-vm.sh (python3 stdlib only).

The client stands for a viewer on another machine. On a small host the
guest's TCG vCPU threads take every core, and a client at the default
priority then measures the scheduler more than the server: its decoder
set-up alone (GStreamer loading the libav plugin, building the pipeline)
stretched from ~250 ms to ~800 ms on a 2-core box under load. So clients
run at nice -10 where the user may raise priority (root), as they would on
a machine of their own; elsewhere at the default priority.
"""
import json
import os
import re
import subprocess

CLIENT_NICE = -10


def raise_priority():
    """preexec_fn: nice -10 where permitted."""
    try:
        os.nice(CLIENT_NICE)
    except OSError:
        pass


def _priority(nice):
    """preexec_fn for another nice increment (a positive one always works)."""
    def set_it():
        try:
            os.nice(nice)
        except OSError:
            pass
    return set_it


def _hms_ms(text):
    h, m, s = text.split(":")
    return (int(h) * 3600 + int(m) * 60 + float(s)) * 1000.0


def _spice_debug_times(out):
    """From spice-gtk's SPICE_DEBUG log (wall clock, ms resolution): when the
    main channel connected, the stream was created and its first data
    arrived; ms after the connect, None where not found."""
    def at(pattern):
        m = re.search(r"(\d\d:\d\d:\d\d\.\d+): \.\./src/" + pattern, out)
        return _hms_ms(m.group(1)) if m else None
    t0 = at(r"spice-session\.c:\d+ open host")
    marks = {
        "stream_create_ms": at(r"channel-display\.c:\d+ display-\d+:0: display_handle_stream_create"),
        "first_data_ms": at(r"channel-display\.c:\d+ display-\d+:0: (?:video margin|stream data too late)"),
    }
    return {k: (v - t0 if v is not None and t0 is not None else None) for k, v in marks.items()}


def run(client, port, wd, name, opts=(), timeout=120, spice_debug=False, host="127.0.0.1",
        nice=CLIENT_NICE, uri=None):
    """Run remote3d-client to the end (on spice://host:port, or uri when
    given). Returns (rc, report dict or None, stdout+stderr text, timings
    dict: stream_create_ms/first_data_ms when spice_debug)."""
    js = os.path.join(wd, name + ".json")
    if os.path.exists(js):
        os.unlink(js)
    argv = [client, uri or "spice://%s:%d" % (host, port), "--json", js] + list(opts)
    env = dict(os.environ)
    if spice_debug:
        env["SPICE_DEBUG"] = "1"
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, env=env,
                       preexec_fn=raise_priority if nice == CLIENT_NICE else _priority(nice))
    rep = None
    if os.path.exists(js):
        with open(js) as f:
            rep = json.load(f)
    times = _spice_debug_times(r.stdout) if spice_debug else {}
    if spice_debug:
        # keep the report, not spice-gtk's debug log
        text = "".join(l + "\n" for l in r.stdout.splitlines()
                       if "Spice-DEBUG" not in l and "Spice-INFO" not in l)
    else:
        text = r.stdout
    return r.returncode, rep, text + r.stderr, times


def spawn(client, port, opts=(), host="127.0.0.1"):
    """Start remote3d-client in the background (output discarded)."""
    return subprocess.Popen([client, "spice://%s:%d" % (host, port)] + list(opts),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=raise_priority)
