/*
 * latency-sim — namespaces and tun devices.
 *
 * The link is two point-to-point tun devices: "a" in namespace A (the
 * COMMAND's, or --netns-a) with address A and peer B, "b" in namespace B
 * (the host's, or --netns-b) with address B and peer A. A packet for B
 * leaves A's kernel through tun a, crosses the emulated link and is written
 * into tun b, where B's kernel delivers it locally. No forwarding, no NAT.
 * Functions return a file descriptor or 0 on success, -errno on failure.
 */
#ifndef LATENCY_SIM_NETNS_H
#define LATENCY_SIM_NETNS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

/* Opens a namespace by name (/run/netns/NAME) or path. */
int r3d_ls_netns_open(const char *name_or_path);

/* Creates a non-persistent tun device in the current namespace; the device
 * vanishes when the fd is closed. */
int r3d_ls_tun_create(const char *name);

/* Brings a device up as local -> peer (/32 each), with mtu, IPv6 off;
 * adds a default route through it when default_route. */
int r3d_ls_tun_configure(const char *name, struct in_addr local,
			 struct in_addr peer, uint32_t mtu, bool default_route);

/* Brings lo up (in a new namespace). */
int r3d_ls_loopback_up(void);

/* Chooses a free 10.213.x.{1,2} pair: no address of the current
 * namespace (nor of the namespace extra_ns when >= 0) inside its /30. */
int r3d_ls_pick_addresses(unsigned seed, int extra_ns, struct in_addr *a,
			  struct in_addr *b);

/* Gives the current process a user namespace mapping its ids to root,
 * plus a new network namespace (for non-root users). */
int r3d_ls_enter_userns(void);

#endif
