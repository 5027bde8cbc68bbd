#!/usr/bin/env python3
"""remote3d-client given a server that is not there (a closed port on
loopback) prints one clear error line naming the address and the cause and
exits non-zero, quickly."""
import time

import r3dtest as t

args = t.parse_args()
port = args.port
t.check(not t.port_open(port), "nothing listens on 127.0.0.1:%d" % port)
wd = t.workdir()
start = time.monotonic()
rc, rep, err = t.run_client(args, wd, port, opts=["--duration", "2", "--timeout", "10"], timeout=60)
took = time.monotonic() - start
lines = t.error_lines(err)
t.check(rc != 0, "the client exits non-zero (%d)" % rc)
t.check(len(lines) == 1, "exactly one error line (got %d)" % len(lines))
t.check("cannot connect to spice://127.0.0.1:%d" % port in lines[0] and "refused" in lines[0],
        "the line names the address and the cause: %r" % lines[0])
t.check(took < 10, "it fails fast (%.1f s)" % took)

# a port that accepts TCP but never speaks SPICE: no answer within --timeout
import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4)
rc, rep, err = t.run_client(args, wd, port, opts=["--duration", "2", "--timeout", "3"], timeout=60)
srv.close()
lines = t.error_lines(err)
t.check(rc != 0, "against a silent TCP server the client exits non-zero (%d)" % rc)
t.check(len(lines) == 1 and "spice://127.0.0.1:%d" % port in lines[0],
        "with one error line naming the address: %r" % (lines[-1] if lines else ""))
