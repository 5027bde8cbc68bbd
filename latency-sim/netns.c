/*
 * latency-sim — namespaces and tun devices (see netns.h).
 */
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_tun.h>
#include <net/route.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int r3d_ls_netns_open(const char *name)
{
	char path[300];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int r3d_ls_tun_create(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void set_sin(struct sockaddr *sa, struct in_addr addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = addr };

	memcpy(sa, &sin, sizeof(sin));
}

static void ipv6_off(const char *name)
{
	char path[128];
	int fd;

	/* no link-local chatter (router solicitations, MLD) on the link */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0) {
			/* best effort: IPv6 may be off already */
		}
		close(fd);
	}
}

int r3d_ls_tun_configure(const char *name, struct in_addr local,
			 struct in_addr peer, uint32_t mtu, bool default_route)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (s < 0)
		return -errno;
	ipv6_off(name);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		goto err;
	set_sin(&ifr.ifr_addr, local);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		goto err;
	set_sin(&ifr.ifr_dstaddr, peer);
	if (ioctl(s, SIOCSIFDSTADDR, &ifr) < 0)
		goto err;
	set_sin(&ifr.ifr_netmask, (struct in_addr){ .s_addr = 0xffffffffu });
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		goto err;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto err;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto err;
	if (default_route) {
		struct rtentry rt;
		char dev[IFNAMSIZ];
		memset(&rt, 0, sizeof(rt));
		snprintf(dev, sizeof(dev), "%s", name);
		set_sin(&rt.rt_dst, (struct in_addr){ 0 });
		set_sin(&rt.rt_genmask, (struct in_addr){ 0 });
		rt.rt_flags = RTF_UP;
		rt.rt_dev = dev;
		if (ioctl(s, SIOCADDRT, &rt) < 0)
			goto err;
	}
	close(s);
	return 0;
err:
	ret = -errno;
	close(s);
	return ret;
}

int r3d_ls_loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0))
		ret = -errno;
	close(s);
	return ret;
}

/* true when some IPv4 address of the current namespace is in net/30 */
static bool net_used(uint32_t net)
{
	struct ifaddrs *list, *i;
	bool used = false;

	if (getifaddrs(&list) < 0)
		return false;
	for (i = list; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		struct sockaddr_in sin;
		memcpy(&sin, i->ifa_addr, sizeof(sin));
		if ((ntohl(sin.sin_addr.s_addr) & ~3u) == net)
			used = true;
	}
	freeifaddrs(list);
	return used;
}

int r3d_ls_pick_addresses(unsigned seed, int extra_ns, struct in_addr *a,
			  struct in_addr *b)
{
	int self = -1, ret = -EADDRINUSE;

	if (extra_ns >= 0) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return -errno;
	}
	for (unsigned i = 0; i < 16384; i++) {
		uint32_t net = (10u << 24) | (213u << 16) |
			       (((seed + i) % 16384) << 2);
		if (net_used(net))
			continue;
		if (extra_ns >= 0) {
			bool used;
			if (setns(extra_ns, CLONE_NEWNET) < 0) {
				ret = -errno;
				break;
			}
			used = net_used(net);
			if (setns(self, CLONE_NEWNET) < 0) {
				ret = -errno;
				break;
			}
			if (used)
				continue;
		}
		b->s_addr = htonl(net | 1);
		a->s_addr = htonl(net | 2);
		ret = 0;
		break;
	}
	if (self >= 0)
		close(self);
	return ret;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	close(fd);
	return ret;
}

int r3d_ls_enter_userns(void)
{
	char map[64];
	unsigned uid = getuid(), gid = getgid();
	int ret;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return -errno;
	snprintf(map, sizeof(map), "0 %u 1\n", uid);
	ret = write_file("/proc/self/uid_map", map);
	if (ret < 0)
		return ret;
	ret = write_file("/proc/self/setgroups", "deny");
	if (ret < 0 && ret != -ENOENT)
		return ret;
	snprintf(map, sizeof(map), "0 %u 1\n", gid);
	return write_file("/proc/self/gid_map", map);
}
