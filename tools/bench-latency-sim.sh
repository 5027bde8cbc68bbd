#!/usr/bin/env bash
# Benchmark of latency-sim (and, side by side, freddy77/latency when
# R3D_BASELINE_LATENCY names its binary) at 10 and 50 Mbit/s, 20 ms delay:
#   cpu      % of one core used by the emulator during a bulk TCP transfer
#            (utime + stime from /proc/PID/stat over the transfer; this
#            includes the receiving side's IP/TCP processing, which runs
#            inside the emulator's write() to the tun device), and its
#            wake-ups per second (voluntary context switches, all threads)
#   delay    error of the one-way delay of 400 timestamped UDP probes
#            (100 B payload, every 10 ms, idle link) against
#            20 ms + serialisation of 146 wire bytes; mean, p99, max in ms.
#            The delay runs from the sender's clock read just before
#            sendto() to the kernel's receive timestamp (SO_TIMESTAMPNS,
#            taken inside the emulator's write to its tun device), so it is
#            the emulator's error (its read wake-up, its hold time, its
#            write wake-up) and not the receiving probe's wake-up; the
#            probe's own view is printed as "user mean/max" for reference
#   rate     the emulator's own rate: UDP at 1.2x the rate for 3 s (1200 B
#            payload), received IP rate over the 10%-90% arrivals against
#            rate * 1228 / (1228 + 18) ("udp"); and what TCP makes of the
#            link: iperf3 (cubic, 8 s after 2 s warm-up) receiver goodput
#            against the payload ceiling rate * 1448 / (1500 + 18) ("tcp",
#            which also counts TCP's own losses and retransmissions)
# Both tools count 18 framing bytes per IP packet. Everything runs in
# namespaces made here (r3dls<pid>...), never on the host's addresses.
#   floor    the machine's own floor at the rate's packet spacing: a bare
#            timed wake-up loop (latency-sim-probe timer, slept the same
#            way) — its lateness bounds any timer-driven emulator's delay
#            error, its CPU is what the wake-ups alone cost
# Env: LATENCY_SIM, LATENCY_SIM_PROBE, R3D_BASELINE_LATENCY (optional),
#      BENCH_RATES (default "10 50"), BENCH_ROUNDS (default 1: repeat the
#      whole table, the machine's load varies), BENCH_REALTIME (default 1: both tools
#      under SCHED_FIFO 10: latency-sim's default as root, the baseline
#      under chrt; 0: both at nice -20: latency-sim --no-realtime, the
#      baseline sets it itself).
set -uo pipefail
cd "$(dirname "$0")/.."
B=${R3D_MESON_DIR:-$PWD/_build/meson}
LS=${LATENCY_SIM:-$B/latency-sim/latency-sim}
PROBE=${LATENCY_SIM_PROBE:-$B/latency-sim/tests/latency-sim-probe}
ANALYZE=$PWD/latency-sim/tests/analyze.py
BASE=${R3D_BASELINE_LATENCY:-}
RATES=${BENCH_RATES:-10 50}
ROUNDS=${BENCH_ROUNDS:-1}
LS_RT=(--no-realtime) BASE_RT=() FLOOR_RT=() MODE="nice -20"
if [ "${BENCH_REALTIME:-1}" = 1 ]; then
	LS_RT=(--realtime) BASE_RT=(chrt -f 10) FLOOR_RT=(fifo) MODE="SCHED_FIFO 10"
fi
TMP=$(mktemp -d /tmp/r3dls-bench.XXXXXX)
NA=r3dls$$ba NB=r3dls$$bb NL=r3dls$$bl
PID=

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for namespaces"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
for f in "$LS" "$PROBE"; do
	[ -x "$f" ] || { echo "missing $f (make build)"; exit 1; }
done
command -v iperf3 >/dev/null || { echo "iperf3 missing"; exit 1; }

cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	for ns in $NA $NB $NL; do ip netns del $ns 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# sleeps that ended in a wake-up, all threads
wakeups() { cat /proc/"$1"/task/*/status | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s}'; }

# measure TOOL RATE SRC_NS DST_NS DST_ADDR: prints one table row
measure() {
	local tool=$1 rate=$2 src=$3 dst=$4 addr=$5
	local ser_ms
	ser_ms=$(python3 -c "print((100 + 28 + 18) * 8 / ($rate * 1e6) * 1e3)")
	# delay probes on the idle link
	coproc RECV { ip netns exec "$dst" "$PROBE" recv 9922 1000 "$TMP/recv.log"; }
	read -r _ <&"${RECV[0]}"
	ip netns exec "$src" "$PROBE" send "$addr" 9922 0 400 100 10000
	wait "$RECV_PID"
	python3 "$ANALYZE" "$TMP/recv.log" 400 >"$TMP/delay.json"
	# the link's rate: UDP overload
	local n=$((rate * 366))
	coproc RECV { ip netns exec "$dst" "$PROBE" recv 9924 1000 "$TMP/rate.log"; }
	read -r _ <&"${RECV[0]}"
	ip netns exec "$src" "$PROBE" send "$addr" 9924 $((rate * 1200000)) $n 1200
	wait "$RECV_PID"
	python3 "$ANALYZE" "$TMP/rate.log" $n >"$TMP/rate.json"
	# bulk TCP
	ip netns exec "$dst" iperf3 -s -1 -p 9923 >/dev/null 2>&1 &
	local srv=$!
	sleep 0.5
	local t0 c0 t1 c1 w0 w1
	t0=$(date +%s.%N); c0=$(cpu_ticks "$PID"); w0=$(wakeups "$PID")
	ip netns exec "$src" iperf3 -c "$addr" -p 9923 -t 8 -O 2 -J >"$TMP/iperf.json" 2>&1
	t1=$(date +%s.%N); c1=$(cpu_ticks "$PID"); w1=$(wakeups "$PID")
	wait $srv
	python3 - "$tool" "$rate" "$ser_ms" "$TMP/delay.json" "$TMP/iperf.json" "$TMP/rate.json" \
		"$t0" "$t1" "$c0" "$c1" "$(getconf CLK_TCK)" "$w0" "$w1" <<'PY'
import json, sys
tool, rate, ser = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
d = json.load(open(sys.argv[4]))
ip = json.load(open(sys.argv[5]))
udp = json.load(open(sys.argv[6]))["rate_bps"] / (rate * 1e6 * 1228 / 1246)
t0, t1, c0, c1, hz, w0, w1 = map(float, sys.argv[7:14])
cpu = (c1 - c0) / hz / (t1 - t0) * 100
wakes = (w1 - w0) / (t1 - t0)
want = 20 + ser
got = ip["end"]["sum_received"]["bits_per_second"] / 1e6
ceiling = rate * 1448 / (1500 + 18)
print("%-12s %4d Mbit/s  cpu %5.1f%% (%5.0f wake-ups/s)  delay err mean %+6.3f p99 %+6.3f max %+6.3f ms"
      " (%s clock; user mean %+6.3f max %+6.3f)"
      "  (%d/400 probes)  rate err udp %+5.2f%%  tcp %6.2f Mbit/s of %6.2f: %+5.2f%%" % (
          tool, rate, cpu, wakes, d["delay_mean_ms"] - want, d["delay_p99_ms"] - want,
          d["delay_max_ms"] - want, d["delay_clock"],
          d["delay_user_mean_ms"] - want, d["delay_user_max_ms"] - want,
          d["received"], (udp - 1) * 100, got, ceiling, (got / ceiling - 1) * 100))
PY
}

first=${RATES%% *}
for rate in $(for _ in $(seq "$ROUNDS"); do echo $RATES; done); do
	[ "$rate" = "$first" ] &&
		echo "20 ms one-way delay each way, 18 framing bytes; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $MODE"
	# the machine's floor: timed wake-ups at this rate's packet spacing
	python3 - "$rate" "$("$PROBE" timer $((1518 * 8 / rate)) $((3000 * rate / 10)) "${FLOOR_RT[@]}")" <<'PY'
import json, sys
f = json.loads(sys.argv[2])
print("%-12s %4s Mbit/s  cpu %5.1f%% (%5.0f wake-ups/s)  wake-up lateness mean %+6.3f p99 %+6.3f max %+6.3f ms"
      "  (bare timer loop, one wake-up per 1518-byte packet)" % (
          "floor", sys.argv[1], f["cpu_pct"], f["wakeups_per_s"],
          f["late_mean_us"] / 1e3, f["late_p99_us"] / 1e3, f["late_max_us"] / 1e3))
PY
	ip netns add $NA && ip netns add $NB || exit 1
	ip netns exec $NA ip link set lo up
	ip netns exec $NB ip link set lo up
	"$LS" --quiet --netns-a $NA --netns-b $NB --addr-a 192.168.77.2 \
		--addr-b 192.168.77.1 --delay 20ms --rate ${rate}mbit \
		--stats "$TMP/stats.json" "${LS_RT[@]}" &
	PID=$!
	sleep 0.5
	measure latency-sim "$rate" $NA $NB 192.168.77.1
	kill $PID; wait $PID; PID=
	ip netns del $NA; ip netns del $NB
	# its own view: how late it wrote packets after their exit times
	python3 - "$TMP/stats.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
sched = [l.get("sched", "?") for l in lines if l.get("event") == "start"]
rows = [l for l in lines if "up" in l and "final" not in l]
late = [r[d]["late_avg_us"] for r in rows for d in ("up", "down") if r[d]["out_packets"]]
mx = max(r[d]["late_max_us"] for r in rows for d in ("up", "down"))
early = [r.get("early_us", 0) for r in rows]
print("%-12s              own stats: write time - exit time mean of 1 s means %+.1f us, max %d us;"
      " wakes early by %.0f-%.0f us; sched %s" % (
          "", sum(late) / len(late), mx, min(early), max(early), sched[0] if sched else "?"))
PY

	if [ -n "$BASE" ] && [ -x "$BASE" ]; then
		# its local mode: two tuns and NAT inside one namespace of ours;
		# clients connect to 192.168.127.1, servers listen on .2
		ip netns add $NL || exit 1
		ip netns exec $NL ip link set lo up
		ip netns exec $NL "${BASE_RT[@]}" "$BASE" 20ms ${rate}mbit --framing-bytes 18 >/dev/null 2>&1 &
		PID=$!
		sleep 1
		measure freddy77/lat "$rate" $NL $NL 192.168.127.1
		kill $PID; wait $PID 2>/dev/null; PID=
		ip netns del $NL
	fi
done
[ -n "$BASE" ] || echo "(set R3D_BASELINE_LATENCY=/path/to/freddy77/latency for the baseline rows)"
