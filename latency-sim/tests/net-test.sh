#!/usr/bin/env bash
# latency-sim integration tests on real tun devices.
#
# usage: net-test.sh CASE LATENCY_SIM PROBE ANALYZE
# Each case makes its own namespaces r3dls<pid>na / r3dls<pid>nb, links
# them with latency-sim (192.168.77.2 in A, .1 in B: addresses that exist
# only inside those namespaces), measures with timestamped UDP probes
# (CLOCK_MONOTONIC is shared by all namespaces) and removes everything.
# Tolerances are stated next to each check; they are loose enough for a
# busy 2-core machine and tight enough to catch a wrong model.
set -uo pipefail
CASE=$1 LS=$2 PROBE=$3 ANALYZE=$4
NA=r3dls$$na NB=r3dls$$nb
A=192.168.77.2 B=192.168.77.1
TMP=$(mktemp -d /tmp/r3dls-test.XXXXXX)
LSPID=

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
ip netns add "$NA" 2>/dev/null || skip "cannot create network namespaces"
ip netns add "$NB" || { ip netns del "$NA"; skip "cannot create network namespaces"; }

cleanup() {
	[ -n "$LSPID" ] && kill "$LSPID" 2>/dev/null && wait "$LSPID" 2>/dev/null
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# start_link OPTIONS...: latency-sim between A and B, stats in $TMP/stats
start_link() {
	"$LS" --quiet --netns-a "$NA" --netns-b "$NB" --addr-a $A --addr-b $B \
		--stats "$TMP/stats" "$@" 2>"$TMP/ls.err" &
	LSPID=$!
	for _ in $(seq 50); do
		grep -q start "$TMP/stats" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$TMP/ls.err"
	fail "latency-sim did not start"
}

stop_link() {
	kill "$LSPID"
	wait "$LSPID"
	local rc=$?
	LSPID=
	[ $rc = 0 ] || fail "latency-sim exited with $rc after SIGTERM"
}

# probe FROM_NS TO_ADDR RATE COUNT SIZE [INTERVAL_US] -> $TMP/probe.json
probe() {
	local from=$1 to=$2 rate=$3 count=$4 size=$5 ival=${6:-}
	local to_ns=$NB
	[ "$from" = "$NB" ] && to_ns=$NA
	rm -f "$TMP/recv.log"
	coproc RECV { ip netns exec "$to_ns" "$PROBE" recv 9911 1000 "$TMP/recv.log"; }
	read -r _ <&"${RECV[0]}"
	ip netns exec "$from" "$PROBE" send "$to" 9911 "$rate" "$count" "$size" $ival ||
		fail "probe send"
	wait "$RECV_PID"
	python3 "$ANALYZE" "$TMP/recv.log" "$count" ${BIN_MS:-} >"$TMP/probe.json"
}

# jget KEY [FILE]: a number from a JSON object
jget() { python3 -c "import json,sys; print(json.load(open(sys.argv[2]))[sys.argv[1]])" "$1" "${2:-$TMP/probe.json}"; }
# check "description" python-expression (with names from probe.json)
check() {
	local what=$1 expr=$2
	if python3 -c "import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2], {}, v) else 1)" \
		"$TMP/probe.json" "$expr"; then
		echo "ok: $what"
	else
		echo "measured: $(cat "$TMP/probe.json" | cut -c1-400)"
		fail "$what ($expr)"
	fi
}

case $CASE in
delay)
	# one-way delay per direction: 30 ms up, 10 ms down at 10 Mbit/s.
	# 200 small probes (200 B payload: 246 B on the wire = 197 us).
	start_link --up-delay 30ms --down-delay 10ms --rate 10mbit
	probe "$NA" $B 0 200 200 5000
	check "up one-way delay median 30.2 ms +-0.5 ms" "abs(delay_p50_ms - 30.197) < 0.5"
	# by design a packet may be written early by the loop's wake-up
	# compensation (<= 0.3 ms) plus half the --coalesce window (0.1 ms)
	check "up one-way delay never 0.4 ms below the setting" "delay_min_ms >= 30.197 - 0.4"
	check "up mean within 1 ms" "abs(delay_mean_ms - 30.197) < 1.0"
	probe "$NB" $A 0 200 200 5000
	check "down one-way delay median 10.2 ms +-0.5 ms" "abs(delay_p50_ms - 10.197) < 0.5"
	check "no probe lost" "received == sent"
	stop_link
	;;
rate)
	# paced rate: 15 Mbit/s of 1200-byte datagrams into a 10 Mbit/s link
	# with 18 framing bytes: IP rate = 10e6 * 1228 / 1246 = 9.856 Mbit/s
	start_link --delay 5ms --rate 10mbit --queue 2000pkt
	probe "$NA" $B 15000000 3000 1200
	check "IP rate 9.856 Mbit/s +-2%" "abs(rate_bps / 9.856e6 - 1) < 0.02"
	stop_link
	;;
queue)
	# droptail queue of 30 kb at 5 Mbit/s: at most 30720 bytes wait
	# (the one on the wire included), the excess is dropped
	start_link --delay 10ms --rate 5mbit --queue 30kb
	probe "$NA" $B 10000000 2000 1000
	check "queue fills: max delay above 10 + 40 ms" "delay_max_ms > 50"
	# a full queue holds 29 datagrams of 1046 B on the wire: 48.5 ms
	check "queue bounded: median delay 10 + 48.5 ms +-2 ms" "abs(delay_p50_ms - 58.5) < 2"
	check "about half the datagrams dropped (sent at 2x the rate)" "0.4 < loss < 0.6"
	stop_link
	drops=$(python3 -c "import json; l=[json.loads(x) for x in open('$TMP/stats')]; print(l[-1]['up']['drop_queue'])")
	lost=$(jget sent); lost=$((lost - $(jget received)))
	[ "$drops" = "$lost" ] || fail "stats drop_queue $drops != datagrams lost $lost"
	echo "ok: stats count the $drops queue drops"
	;;
loss)
	# random loss 10%: 4000 probes, 3 sigma = 1.4%
	start_link --up-loss 10% --seed 7
	probe "$NA" $B 0 4000 100 500
	check "random loss 10% +-2%" "abs(loss - 0.10) < 0.02"
	stop_link
	# Gilbert-Elliott p=2% r=20%: loss p/(p+r) = 9.1%, bursts of 1/r = 5
	start_link --up-ge-loss 2%,20% --seed 7
	probe "$NA" $B 0 6000 100 300
	check "GE loss 9.1% +-3%" "abs(loss - 0.0909) < 0.03"
	check "GE mean burst 5 +-1.5" "abs(mean_burst - 5) < 1.5"
	stop_link
	;;
schedule)
	# 2 Mbit/s, then 20 Mbit/s from 3 s: with a standing queue the
	# output must reach 80% of the new rate within 100 ms of the step
	start_link --delay 5ms --rate-schedule 0s:2mbit,3s:20mbit --queue 500pkt
	start_us=$(python3 -c "import json; print(json.loads(open('$TMP/stats').readline())['start_monotonic_us'])")
	sleep 1.5
	BIN_MS=20 probe "$NA" $B 30000000 9000 1200
	python3 - "$TMP/probe.json" "$start_us" <<'PY' || fail "schedule step"
import json, sys
v = json.load(open(sys.argv[1]))
step_ns = (int(sys.argv[2]) + 3000000 + 5000) * 1000   # step + delay
target = 0.8 * 20e6 * 1228 / 1246
after = [(t, r) for t, r in v["bins"] if t + 20e6 > step_ns and r >= target]
before = [r for t, r in v["bins"] if step_ns - 500e6 < t < step_ns - 40e6]
assert before and abs(sum(before) / len(before) / 2e6 - 1) < 0.1, \
    "rate before the step %s" % before
assert after, "never reached the new rate"
lag = (after[0][0] + 20e6 - step_ns) / 1e6
print("ok: 2 -> 20 Mbit/s followed %.1f ms after the step (bin end)" % lag)
sys.exit(0 if lag <= 100 else 1)
PY
	stop_link
	;;
pcap)
	# one pcapng for both directions and one for up only: tshark reads
	# them, with exactly the packets that crossed the link
	start_link --delay 2ms --pcap "$TMP/both.pcapng" --up-pcap "$TMP/up.pcapng"
	ip netns exec "$NA" ping -q -c 20 -i 0.01 $B >/dev/null || fail "ping"
	stop_link
	both=$(tshark -r "$TMP/both.pcapng" 2>/dev/null | wc -l)
	up=$(tshark -r "$TMP/up.pcapng" 2>/dev/null | wc -l)
	icmp=$(tshark -r "$TMP/both.pcapng" -Y icmp 2>/dev/null | wc -l)
	[ "$both" = 40 ] && [ "$icmp" = 40 ] || fail "both-directions pcap has $both packets ($icmp ICMP), want 40"
	[ "$up" = 20 ] || fail "up pcap has $up packets, want 20"
	tshark -r "$TMP/up.pcapng" -T fields -e frame.comment 2>/dev/null | head -1 |
		grep -q "enter=.*delay_us=20" || fail "no entry time comment"
	echo "ok: pcapng opens in tshark with 40 and 20 packets and entry times"
	;;
options)
	# bad options: exit status 2, one line naming the problem (and the
	# hint), at once, and nothing left behind in the namespace it ran in
	ip netns exec "$NB" ip link set lo up
	expect() {
		local want=$1; shift
		out=$(ip netns exec "$NB" timeout 10 "$LS" "$@" 2>&1); rc=$?
		[ $rc = 2 ] && grep -q -- "$want" <<<"$(head -1 <<<"$out")" ||
			fail "'$*' gave rc $rc: $out (want '$want')"
		[ "$(wc -l <<<"$out")" = 2 ] &&
			[ "$(tail -1 <<<"$out")" = "Try 'latency-sim --help'." ] ||
			fail "'$*' said more than one line: $out"
		[ -z "$(ip -n "$NB" -o link | grep r3dls)" ] || fail "'$*' left a device"
		echo "ok: $* -> $(head -1 <<<"$out")"
	}
	expect "unknown unit 'xs'" --delay 5xs -- true
	expect "negative time" --delay -5ms -- true
	expect "cannot hold one 1500-byte packet" --queue 1kb -- true
	expect "missing command" --delay 5ms
	expect "unknown option '--dealy'" --dealy 5ms -- true
	# issue 17: values that overflowed, rounded to nothing or wrapped
	expect "time '1e300s' is too large" --delay 1e300s -- true
	expect "rate '0.4bit' is below 1 bit/s" --rate 0.4bit -- true
	expect "rate '0.4bit' is below 1 bit/s" --up-rate 0.4bit -- true
	expect "queue '0b' cannot hold a packet" --queue 0b -- true
	expect "time 'nan' is not a number" --down-jitter nan -- true
	expect "'-1' is not a number" --seed -1 -- true
	expect "the period (1s) must be longer than the outage (2s)" \
		--outage 1s+2s@1s -- true
	echo 2305843009213693952 >"$TMP/t-wrap"
	printf '1\n-1\n' >"$TMP/t-neg"
	printf '1\n#%0100d\n11111111111111111111111111\n' 0 >"$TMP/t-long"
	expect "$TMP/t-wrap:1: '2305843009213693952' is not a whole number of ms" \
		--trace "$TMP/t-wrap" -- true
	expect "$TMP/t-neg:2: '-1' is not a whole number of ms" \
		--trace "$TMP/t-neg" -- true
	expect "$TMP/t-long:3: '111111111111111111111111...' is not a whole" \
		--trace "$TMP/t-long" -- true
	"$LS" --help | grep -q -- "--rate-schedule" || fail "--help"
	;;
spin)
	# issue 17: a 10 ms trace with a 1 ms outage every 10 ms spun for
	# ever at the first packet, deaf to SIGTERM (under SCHED_FIFO): it can
	# never deliver, and is refused at once
	echo 10 >"$TMP/trace10"
	out=$(ip netns exec "$NB" timeout 10 "$LS" --trace "$TMP/trace10" \
		--outage 0s+1ms@10ms -- true 2>&1); rc=$?
	[ $rc = 2 ] && grep -q "covers every delivery opportunity.*never deliver" <<<"$out" ||
		fail "never-delivering trace: rc $rc: $out"
	echo "ok: refused: $(head -1 <<<"$out")"
	# 1 ms opportunities, outages of a 10^15 - 1 us period with 1 us
	# between them: the first opportunity out is 10^15 opportunities
	# away (the old loop stepped over them one by one). The loop solves
	# for it at once, stays idle and obeys SIGTERM.
	echo 1 >"$TMP/trace-far"
	start_link --trace "$TMP/trace-far" \
		--outage 0s+999999999999998us@999999999999999us
	ip netns exec "$NA" ping -q -c 5 -i 0.2 -W 1 $B >/dev/null 2>&1
	ip netns exec "$NB" ping -q -c 5 -i 0.2 -W 1 $A >/dev/null 2>&1
	ticks=$(awk '{ print $14 + $15 }' "/proc/$LSPID/stat")
	kill "$LSPID"
	for _ in $(seq 50); do
		kill -0 "$LSPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$LSPID" 2>/dev/null; then
		kill -KILL "$LSPID"
		fail "latency-sim ignored SIGTERM for 5 s ($ticks ticks of CPU)"
	fi
	wait "$LSPID"
	rc=$?
	LSPID=
	[ $rc = 0 ] || fail "latency-sim exited with $rc after SIGTERM"
	[ "$ticks" -lt 50 ] || fail "latency-sim used $ticks ticks of CPU for 10 packets"
	echo "ok: resonating trace and outage: idle ($ticks ticks), SIGTERM obeyed"
	;;
fds)
	# COMMAND gets no fd of latency-sim's (a dup without close-on-exec
	# gave it the host's namespace): it has what it would have without
	# latency-sim (the test's own fds, whatever they are), nothing more
	ip netns exec "$NB" ip link set lo up
	fds() { "$@" ls /proc/self/fd | sort -n | tr '\n' ' '; }
	want=$(fds ip netns exec "$NB" timeout 20)
	got=$(fds ip netns exec "$NB" timeout 20 "$LS" --quiet --)
	[ "$got" = "$want" ] || fail "COMMAND has fds $got, without latency-sim $want"
	links=$(ip netns exec "$NB" timeout 20 "$LS" --quiet -- sh -c 'ls -l /proc/$$/fd')
	grep -q 'net:\[' <<<"$links" && fail "COMMAND holds a namespace: $links"
	echo "ok: COMMAND's fds: $got (as without latency-sim), no namespace"
	# linking two namespaces, with --stats and --pcap open
	want=$(fds timeout 20)
	got=$(fds timeout 20 "$LS" --quiet --netns-a "$NA" --netns-b "$NB" \
		--addr-a $A --addr-b $B --stats "$TMP/stats" --pcap "$TMP/p.pcapng" --)
	[ "$got" = "$want" ] || fail "--netns-a/b COMMAND has fds $got, want $want"
	echo "ok: with --netns-a/b, --stats, --pcap: $got"
	;;
wrap)
	# latency-sim -- COMMAND, run inside the test's own namespace B (the
	# "host"): COMMAND reaches B at $LATENCY_SIM_HOST through the link,
	# its exit status is latency-sim's, and nothing is left behind
	ip netns exec "$NB" ip link set lo up
	out=$(ip netns exec "$NB" "$LS" --quiet --delay 15ms -- \
		sh -c 'ping -c 3 -i 0.2 "$LATENCY_SIM_HOST"' 2>&1) || fail "wrap ping: $out"
	# RTT = 2 x 15 ms: never less, median-ish within a few ms on a busy box
	rtt=$(grep -o 'mdev = [0-9.]*/[0-9.]*' <<<"$out" | cut -d' ' -f3)
	awk -F/ '{ exit !($1 >= 30 && $2 < 35) }' <<<"$rtt" ||
		fail "RTT min/avg $rtt not 2 x 15 ms: $out"
	echo "ok: COMMAND pings the host side, RTT $(grep -o 'mdev = [^ ]*' <<<"$out")"
	ip netns exec "$NB" "$LS" --quiet -- sh -c 'exit 3'
	[ $? = 3 ] || fail "exit status not passed through"
	echo "ok: exit status of COMMAND passed through"
	[ -z "$(ip -n "$NB" -o link | grep r3dls)" ] || fail "device left after exit"
	echo "ok: no device left after COMMAND exits"
	;;
sigterm)
	# SIGTERM (and SIGINT) end latency-sim, COMMAND and its namespace,
	# and remove both devices and their routes
	ip netns exec "$NB" ip link set lo up
	for sig in TERM INT; do
		ip netns exec "$NB" "$LS" --quiet --delay 5ms -- sleep 300 &
		pid=$!
		for _ in $(seq 50); do
			child=$(pgrep -P $pid -x sleep) && break
			sleep 0.1
		done
		[ -n "$child" ] || fail "COMMAND did not start"
		childns=$(readlink /proc/$child/ns/net)
		[ -n "$(ip -n "$NB" -o link | grep r3dls)" ] || fail "no host-side device"
		kill -$sig $pid
		wait $pid
		rc=$?
		[ $rc = 0 ] || fail "latency-sim exited $rc after SIG$sig"
		sleep 0.2
		kill -0 "$child" 2>/dev/null && fail "COMMAND still running"
		[ -z "$(ip -n "$NB" -o link | grep r3dls)" ] || fail "device left"
		[ -z "$(ip -n "$NB" route | grep r3dls)" ] || fail "route left"
		for p in /proc/[0-9]*/ns/net; do
			[ "$(readlink "$p" 2>/dev/null)" = "$childns" ] &&
				fail "COMMAND's namespace still held by $p"
		done
		echo "ok: SIG$sig: COMMAND, its namespace, devices and routes are gone"
	done
	;;
*)
	fail "unknown case $CASE"
	;;
esac
exit 0
