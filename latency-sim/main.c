/*
 * latency-sim — a tun link emulator (see README.md, section latency-sim).
 *
 * Sets up the two ends of the link (netns.c), the two directions (link.c),
 * starts COMMAND in namespace A and runs the event loop (loop.c). Every
 * device is a non-persistent tun held by this process only, and the
 * namespace made for COMMAND is held by COMMAND only: nothing outlives
 * them, whatever way they end.
 */
#include "link.h"
#include "loop.h"
#include "netns.h"
#include "options.h"
#include "pcap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static int fail_errno(const char *what, int err)
{
	fprintf(stderr, "latency-sim: %s: %s\n", what, strerror(-err));
	return -1;
}

static bool parse_addr(const char *s, struct in_addr *a, const char *opt)
{
	if (inet_pton(AF_INET, s, a) == 1)
		return true;
	fprintf(stderr, "latency-sim: %s: '%s' is not an IPv4 address\n", opt, s);
	return false;
}

/* Creates and configures the tun device `name` inside namespace ns. */
static int make_end(int ns, const char *name, struct in_addr local,
		    struct in_addr peer, uint32_t mtu, bool default_route)
{
	int fd, err;

	if (setns(ns, CLONE_NEWNET) < 0)
		return fail_errno("entering a namespace", -errno);
	fd = r3d_ls_tun_create(name);
	if (fd < 0) {
		fprintf(stderr, "latency-sim: cannot create tun device %s: %s%s\n",
			name, strerror(-fd),
			fd == -ENOENT ? " (no /dev/net/tun: load the tun module)" :
			fd == -EACCES || fd == -EPERM ?
			" (as a user this needs read-write access to /dev/net/tun, "
			"mode 0666 as Debian ships it; else run as root)" : "");
		return -1;
	}
	err = r3d_ls_tun_configure(name, local, peer, mtu, default_route);
	if (err < 0) {
		close(fd);
		return fail_errno("configuring the tun device", err);
	}
	return fd;
}

static void run_command(char **command, int ns_a, struct in_addr a,
			struct in_addr b)
{
	char buf[INET_ADDRSTRLEN];
	sigset_t none;

	if (setns(ns_a, CLONE_NEWNET) < 0) {
		perror("latency-sim: entering the command's namespace");
		_exit(127);
	}
	/* if latency-sim dies, so does the command's link: tell it */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setenv("LATENCY_SIM_HOST", inet_ntop(AF_INET, &b, buf, sizeof(buf)), 1);
	setenv("LATENCY_SIM_ADDR", inet_ntop(AF_INET, &a, buf, sizeof(buf)), 1);
	execvp(command[0], command);
	fprintf(stderr, "latency-sim: cannot run '%s': %s\n", command[0],
		strerror(errno));
	_exit(127);
}

/* Packets must leave on time on a busy machine too. Under SCHED_OTHER,
 * even at nice -20, a wake-up may wait for the running task's slice
 * (milliseconds under load, measured: see README); SCHED_FIFO runs at
 * once. Priority 10: above every ordinary task, below the kernel's
 * threaded interrupt handlers (50). The loop never polls, and the
 * kernel's RT throttling keeps 5% for the rest in any case. Returns the
 * policy obtained, for the logs. */
#define RT_PRIORITY 10

static const char *raise_priority(enum r3d_ls_realtime want, bool quiet)
{
	if (want != R3D_LS_REALTIME_OFF) {
		struct sched_param sp = { .sched_priority = RT_PRIORITY };
		if (sched_setscheduler(0, SCHED_FIFO, &sp) == 0) {
			/* no page fault on the packet path; best effort */
			if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0 && !quiet)
				fprintf(stderr, "latency-sim: note: mlockall: %s\n",
					strerror(errno));
			return "fifo";
		}
		if (want == R3D_LS_REALTIME_ON)
			fprintf(stderr, "latency-sim: --realtime: SCHED_FIFO: %s; "
				"falling back to nice -20\n", strerror(errno));
		else if (!quiet)
			fprintf(stderr, "latency-sim: note: no SCHED_FIFO (%s), "
				"nice -20 instead: delays may stretch on a busy "
				"machine\n", strerror(errno));
	}
	if (setpriority(PRIO_PROCESS, 0, -20) == 0)
		return "nice-20";
	if (!quiet)
		fprintf(stderr, "latency-sim: note: cannot raise priority (%s)\n",
			strerror(errno));
	return "normal";
}

int main(int argc, char **argv)
{
	struct r3d_ls_options o;
	struct r3d_ls_loop loop;
	char err[300], name_a[IFNAMSIZ], name_b[IFNAMSIZ];
	char sa[INET_ADDRSTRLEN], sb[INET_ADDRSTRLEN];
	struct in_addr addr_a, addr_b;
	int orig = -1, ns_a = -1, ns_b = -1, ret = 1;
	bool wrap, private_host = false;
	sigset_t mask;

	memset(&loop, 0, sizeof(loop));
	loop.tun[0] = loop.tun[1] = -1;
	if (!r3d_ls_options_parse(&o, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "latency-sim: %s\n", err);
		fprintf(stderr, "Try 'latency-sim --help'.\n");
		r3d_ls_options_finish(&o);
		return 2;
	}
	if (o.help) {
		r3d_ls_options_usage(stdout);
		r3d_ls_options_finish(&o);
		return 0;
	}
	wrap = !o.netns_a;
	/* wake up on time: the default 50 us slack would be delay error */
	prctl(PR_SET_TIMERSLACK, 1UL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	if (wrap && geteuid() != 0) {
		int e = r3d_ls_enter_userns();
		if (e < 0) {
			fprintf(stderr, "latency-sim: not root, and no user namespace "
				"(%s): run as root, or allow unprivileged user "
				"namespaces (sysctl kernel.unprivileged_userns_clone=1, "
				"user.max_user_namespaces > 0)\n", strerror(-e));
			goto out;
		}
		private_host = true;
	}
	orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0) {
		fail_errno("opening /proc/self/ns/net", -errno);
		goto out;
	}
	if (wrap) {
		/* close-on-exec like every fd here: COMMAND must not hold the
		 * host's namespace (nor anything else of ours) */
		ns_b = fcntl(orig, F_DUPFD_CLOEXEC, 0);
		if (ns_b < 0) {
			fail_errno("duplicating the host namespace's fd", -errno);
			goto out;
		}
		if (unshare(CLONE_NEWNET) < 0) {
			fprintf(stderr, "latency-sim: cannot create a network namespace: "
				"%s%s\n", strerror(errno),
				errno == EPERM ? " (run as root)" : "");
			goto out;
		}
		ns_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (ns_a < 0 || r3d_ls_loopback_up() < 0) {
			fail_errno("setting up the command's namespace", -errno);
			goto out;
		}
		if (setns(orig, CLONE_NEWNET) < 0) {
			fail_errno("returning to the host namespace", -errno);
			goto out;
		}
	} else {
		ns_a = r3d_ls_netns_open(o.netns_a);
		ns_b = r3d_ls_netns_open(o.netns_b);
		if (ns_a < 0 || ns_b < 0) {
			fprintf(stderr, "latency-sim: cannot open namespace '%s': %s\n",
				ns_a < 0 ? o.netns_a : o.netns_b,
				strerror(-(ns_a < 0 ? ns_a : ns_b)));
			goto out;
		}
	}
	if ((o.addr_a && !parse_addr(o.addr_a, &addr_a, "--addr-a")) ||
	    (o.addr_b && !parse_addr(o.addr_b, &addr_b, "--addr-b")))
		goto out;
	if (!o.addr_a || !o.addr_b) {
		struct in_addr pa, pb;
		int e;
		if (setns(ns_b, CLONE_NEWNET) < 0) {
			fail_errno("entering namespace B", -errno);
			goto out;
		}
		e = r3d_ls_pick_addresses((unsigned)getpid(), ns_a, &pa, &pb);
		if (e < 0) {
			fail_errno("choosing link addresses", e);
			goto out;
		}
		if (!o.addr_a)
			addr_a = pa;
		if (!o.addr_b)
			addr_b = pb;
	}
	snprintf(name_a, sizeof(name_a), "r3dls%da", (int)getpid());
	snprintf(name_b, sizeof(name_b), "r3dls%db", (int)getpid());
	loop.tun[0] = make_end(ns_a, name_a, addr_a, addr_b, o.mtu, wrap);
	if (loop.tun[0] < 0)
		goto out;
	loop.tun[1] = make_end(ns_b, name_b, addr_b, addr_a, o.mtu, false);
	if (loop.tun[1] < 0)
		goto out;
	if (setns(orig, CLONE_NEWNET) < 0) {
		fail_errno("returning to the first namespace", -errno);
		goto out;
	}

	loop.start_us = r3d_ls_now_us();
	loop.mtu = o.mtu;
	loop.coalesce_us = o.coalesce_us;
	loop.quiet = o.quiet;
	for (int d = 0; d < 2; d++) {
		loop.link[d] = r3d_link_create(&o.link[d], o.mtu,
					       o.seed * 2 + (uint64_t)d, loop.start_us);
		if (!loop.link[d]) {
			fail_errno("link", -errno);
			goto out;
		}
	}
	if (o.pcap_both) {
		loop.pcap_both = r3d_ls_pcap_open(o.pcap_both, 3);
		if (!loop.pcap_both) {
			fprintf(stderr, "latency-sim: --pcap %s: %s\n", o.pcap_both,
				strerror(errno));
			goto out;
		}
	}
	for (int d = 0; d < 2; d++) {
		if (!o.pcap_dir[d])
			continue;
		loop.pcap[d] = r3d_ls_pcap_open(o.pcap_dir[d], 1u << d);
		if (!loop.pcap[d]) {
			fprintf(stderr, "latency-sim: pcap %s: %s\n", o.pcap_dir[d],
				strerror(errno));
			goto out;
		}
	}
	if (o.stats_path) {
		loop.stats = fopen(o.stats_path, "we");
		if (!loop.stats) {
			fprintf(stderr, "latency-sim: --stats %s: %s\n", o.stats_path,
				strerror(errno));
			goto out;
		}
	}
	inet_ntop(AF_INET, &addr_a, sa, sizeof(sa));
	inet_ntop(AF_INET, &addr_b, sb, sizeof(sb));
	if (!o.quiet)
		fprintf(stderr, "latency-sim: link %s (%s, A) <-> %s (%s, B)%s%s%s\n",
			sa, name_a, sb, name_b,
			wrap ? "; COMMAND reaches the host at " : "",
			wrap ? sb : "",
			private_host ? " (not root: a private namespace)" : "");

	if (o.command) {
		loop.child = fork();
		if (loop.child < 0) {
			fail_errno("fork", -errno);
			goto out;
		}
		if (loop.child == 0)
			run_command(o.command, ns_a, addr_a, addr_b);
	}
	/* from here, only COMMAND holds its namespace */
	close(ns_a);
	ns_a = -1;
	/* for this process only: COMMAND keeps its own */
	const char *sched = raise_priority(o.realtime, o.quiet);
	if (loop.stats) {
		fprintf(loop.stats, "{\"event\":\"start\",\"start_monotonic_us\":%llu,"
			"\"addr_a\":\"%s\",\"addr_b\":\"%s\",\"dev_a\":\"%s\","
			"\"dev_b\":\"%s\",\"sched\":\"%s\"}\n",
			(unsigned long long)loop.start_us, sa, sb, name_a, name_b,
			sched);
		fflush(loop.stats);
	}
	ret = r3d_ls_loop_run(&loop);
out:
	if (loop.stats)
		fclose(loop.stats);
	r3d_ls_pcap_close(loop.pcap_both);
	r3d_ls_pcap_close(loop.pcap[1]);
	r3d_ls_pcap_close(loop.pcap[0]);
	for (int d = 0; d < 2; d++) {
		r3d_link_destroy(loop.link[d]);
		if (loop.tun[d] >= 0)
			close(loop.tun[d]);
	}
	if (ns_a >= 0)
		close(ns_a);
	if (ns_b >= 0)
		close(ns_b);
	if (orig >= 0)
		close(orig);
	r3d_ls_options_finish(&o);
	return ret;
}
