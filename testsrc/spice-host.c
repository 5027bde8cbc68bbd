/*
 * remote3d-testsrc — a minimal spice-server host.
 *
 * The QXL device has no command ring: the display shows only what the
 * external stream sends (the primary surface itself stays black for
 * clients without H.264). spice-server's own video detection is off so
 * that only the external stream carries video.
 */
#include "spice-host.h"
#include "remote3d/log.h"

#include <errno.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "spice-core-glib.h"
#include <spice/protocol.h>

struct r3d_spice_host {
	struct r3d_spice_host_config cfg;
	SpiceServer *server;
	QXLInstance qxl;
	SpiceKbdInstance kbd;
	SpiceTabletInstance tablet;
	uint8_t *primary; /* width x height xRGB, the QXL primary surface */
	bool qxl_added;
	bool key_extended; /* last scancode byte was the 0xe0 prefix */
	int logical_w, logical_h;
};

/* ---- QXL: a device with no commands ---- */

static void qxl_attached_worker(QXLInstance *qin)
{
}

static void qxl_set_compression_level(QXLInstance *qin, int level)
{
}

static void qxl_get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
	memset(info, 0, sizeof(*info));
	info->num_memslots = 1;
	info->num_memslots_groups = 1;
	info->memslot_id_bits = 1;
	info->memslot_gen_bits = 1;
	info->n_surfaces = 1;
}

static int qxl_get_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
	return 0;
}

static int qxl_req_notification(QXLInstance *qin)
{
	return 1; /* armed; there will never be commands */
}

static void qxl_release_resource(QXLInstance *qin, struct QXLReleaseInfoExt info)
{
}

static void qxl_notify_update(QXLInstance *qin, uint32_t update_id)
{
}

static int qxl_flush_resources(QXLInstance *qin)
{
	return 0;
}

static void qxl_async_complete(QXLInstance *qin, uint64_t cookie)
{
}

static void qxl_update_area_complete(QXLInstance *qin, uint32_t surface_id,
				     struct QXLRect *rects, uint32_t n)
{
}

static void qxl_set_client_capabilities(QXLInstance *qin, uint8_t present,
					uint8_t caps[SPICE_CAPABILITIES_SIZE])
{
}

static int qxl_client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *mc)
{
	return 0; /* the display keeps its size */
}

static const QXLInterface qxl_interface = {
	.base = {
		.type = SPICE_INTERFACE_QXL,
		.description = "remote3d testsrc display",
		.major_version = SPICE_INTERFACE_QXL_MAJOR,
		.minor_version = SPICE_INTERFACE_QXL_MINOR,
	},
	.attached_worker = qxl_attached_worker,
	.set_compression_level = qxl_set_compression_level,
	.get_init_info = qxl_get_init_info,
	.get_command = qxl_get_command,
	.req_cmd_notification = qxl_req_notification,
	.release_resource = qxl_release_resource,
	.get_cursor_command = qxl_get_command,
	.req_cursor_notification = qxl_req_notification,
	.notify_update = qxl_notify_update,
	.flush_resources = qxl_flush_resources,
	.async_complete = qxl_async_complete,
	.update_area_complete = qxl_update_area_complete,
	.set_client_capabilities = qxl_set_client_capabilities,
	.client_monitors_config = qxl_client_monitors_config,
};

/* ---- input ---- */

static void kbd_push_scan(SpiceKbdInstance *sin, uint8_t frag)
{
	struct r3d_spice_host *host =
		(struct r3d_spice_host *)((char *)sin - offsetof(struct r3d_spice_host, kbd));

	if (frag == 0xe0) {
		host->key_extended = true;
		return;
	}
	host->key_extended = false;
	if (host->cfg.on_key)
		host->cfg.on_key(host->cfg.opaque, frag & 0x7f, !(frag & 0x80));
}

static uint8_t kbd_get_leds(SpiceKbdInstance *sin)
{
	return 0;
}

static const SpiceKbdInterface kbd_interface = {
	.base = {
		.type = SPICE_INTERFACE_KEYBOARD,
		.description = "remote3d testsrc keyboard",
		.major_version = SPICE_INTERFACE_KEYBOARD_MAJOR,
		.minor_version = SPICE_INTERFACE_KEYBOARD_MINOR,
	},
	.push_scan_freg = kbd_push_scan,
	.get_leds = kbd_get_leds,
};

static struct r3d_spice_host *tablet_host(SpiceTabletInstance *sin)
{
	return (struct r3d_spice_host *)((char *)sin - offsetof(struct r3d_spice_host, tablet));
}

static void tablet_set_logical_size(SpiceTabletInstance *sin, int width, int height)
{
	struct r3d_spice_host *host = tablet_host(sin);

	host->logical_w = width;
	host->logical_h = height;
}

static void tablet_position(SpiceTabletInstance *sin, int x, int y, uint32_t buttons)
{
	struct r3d_spice_host *host = tablet_host(sin);

	if (host->cfg.on_pointer)
		host->cfg.on_pointer(host->cfg.opaque, x, y, buttons);
}

static void tablet_wheel(SpiceTabletInstance *sin, int motion, uint32_t buttons)
{
}

static void tablet_buttons(SpiceTabletInstance *sin, uint32_t buttons)
{
	struct r3d_spice_host *host = tablet_host(sin);

	if (host->cfg.on_pointer)
		host->cfg.on_pointer(host->cfg.opaque, -1, -1, buttons);
}

static const SpiceTabletInterface tablet_interface = {
	.base = {
		.type = SPICE_INTERFACE_TABLET,
		.description = "remote3d testsrc pointer",
		.major_version = SPICE_INTERFACE_TABLET_MAJOR,
		.minor_version = SPICE_INTERFACE_TABLET_MINOR,
	},
	.set_logical_size = tablet_set_logical_size,
	.position = tablet_position,
	.wheel = tablet_wheel,
	.buttons = tablet_buttons,
};

/* ---- server ---- */

static bool address_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

static bool address_is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

bool r3d_spice_host_check_listen(const char *addr, int port, struct r3d_spice_host_listen *out,
				 char **error)
{
	/* as spice-server's reds_init_socket() resolves and binds */
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_ADDRCONFIG, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	char service[16];
	int rc, bind_errno = 0;
	bool ok = false;

	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(addr && *addr ? addr : NULL, service, &hints, &res);
	if (rc != 0) {
		r3d_set_error(error, "address '%s': %s", addr ? addr : "*", gai_strerror(rc));
		return false;
	}
	for (ai = res; ai && !ok; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		int on = 1, off = 0;

		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			ok = getnameinfo(ai->ai_addr, ai->ai_addrlen, out->host, sizeof(out->host),
					 NULL, 0, NI_NUMERICHOST) == 0;
			out->loopback = address_is_loopback(ai->ai_addr);
			out->wildcard = address_is_wildcard(ai->ai_addr);
			out->ipv6 = ai->ai_family == AF_INET6;
		} else {
			bind_errno = errno;
		}
		close(fd);
	}
	freeaddrinfo(res);
	if (ok)
		return true;
	if (bind_errno == EADDRINUSE)
		r3d_set_error(error, "port %d is already in use (%s)", port, strerror(bind_errno));
	else
		r3d_set_error(error, "cannot listen on %s port %d: %s", addr ? addr : "*", port,
			      strerror(bind_errno ? bind_errno : EADDRNOTAVAIL));
	return false;
}

struct r3d_spice_host *r3d_spice_host_create(const struct r3d_spice_host_config *cfg,
					     char **error)
{
	struct r3d_spice_host *host = g_new0(struct r3d_spice_host, 1);
	QXLDevMemSlot slot = {
		.slot_group_id = 0, .slot_id = 0, .generation = 0,
		.virt_start = 0, .virt_end = ~(uintptr_t)0, .addr_delta = 0,
		.qxl_ram_size = ~0u,
	};
	QXLDevSurfaceCreate surface = { 0 };

	host->cfg = *cfg;
	host->primary = g_try_malloc0((size_t)cfg->width * cfg->height * 4);
	if (!host->primary) {
		r3d_set_error(error, "out of memory for a %dx%d surface", cfg->width, cfg->height);
		goto fail;
	}

	host->server = spice_server_new();
	if (!host->server) {
		r3d_set_error(error, "spice_server_new failed");
		goto fail;
	}
	spice_server_set_port(host->server, cfg->port);
	if (cfg->addr)
		spice_server_set_addr(host->server, cfg->addr, 0);
	if (cfg->password) {
		/* ticketing: a client without this password gets no channel */
		if (spice_server_set_ticket(host->server, cfg->password, 0, 0, 0) != 0) {
			r3d_set_error(error, "spice-server refused the password (at most %d bytes)",
				      SPICE_MAX_PASSWORD_LENGTH);
			goto fail;
		}
	} else {
		spice_server_set_noauth(host->server);
	}
	if (cfg->tls_port) {
		char *ca = g_build_filename(cfg->x509_dir, "ca-cert.pem", NULL);
		char *cert = g_build_filename(cfg->x509_dir, "server-cert.pem", NULL);
		char *key = g_build_filename(cfg->x509_dir, "server-key.pem", NULL);
		int rc = spice_server_set_tls(host->server, cfg->tls_port, ca, cert, key,
					      NULL, NULL, NULL);

		g_free(ca);
		g_free(cert);
		g_free(key);
		if (rc != 0) {
			r3d_set_error(error, "spice-server refused TLS on port %d", cfg->tls_port);
			goto fail;
		}
	}
	/* only the external stream carries video */
	spice_server_set_streaming_video(host->server, SPICE_STREAM_VIDEO_OFF);
	spice_server_set_image_compression(host->server, SPICE_IMAGE_COMPRESSION_AUTO_GLZ);
	if (spice_server_init(host->server, r3d_spice_core_glib_get(cfg->context)) != 0) {
		if (cfg->tls_port)
			r3d_set_error(error, "spice-server cannot listen on %s:%d and TLS port %d "
				      "(or cannot use the certificates in %s)",
				      cfg->addr ? cfg->addr : "*", cfg->port, cfg->tls_port,
				      cfg->x509_dir);
		else
			r3d_set_error(error, "spice-server cannot listen on %s:%d",
				      cfg->addr ? cfg->addr : "*", cfg->port);
		goto fail;
	}

	host->qxl.base.sif = &qxl_interface.base;
	host->qxl.id = 0;
	if (spice_server_add_interface(host->server, &host->qxl.base) != 0) {
		r3d_set_error(error, "spice-server refused the QXL display");
		goto fail;
	}
	host->qxl_added = true;
	host->kbd.base.sif = &kbd_interface.base;
	host->tablet.base.sif = &tablet_interface.base;
	if (spice_server_add_interface(host->server, &host->kbd.base) != 0 ||
	    spice_server_add_interface(host->server, &host->tablet.base) != 0) {
		r3d_set_error(error, "spice-server refused the input devices");
		goto fail;
	}

	spice_qxl_add_memslot(&host->qxl, &slot);
	surface.format = SPICE_SURFACE_FMT_32_xRGB;
	surface.width = cfg->width;
	surface.height = cfg->height;
	surface.stride = -cfg->width * 4;
	surface.mouse_mode = 1;
	surface.mem = (uintptr_t)host->primary;
	surface.group_id = 0;
	spice_qxl_create_primary_surface(&host->qxl, 0, &surface);
	spice_server_vm_start(host->server);
	return host;

fail:
	r3d_spice_host_destroy(host);
	return NULL;
}

void r3d_spice_host_destroy(struct r3d_spice_host *host)
{
	if (!host)
		return;
	if (host->server) {
		if (host->qxl_added)
			spice_server_vm_stop(host->server);
		spice_server_destroy(host->server);
	}
	g_free(host->primary);
	g_free(host);
}

QXLInstance *r3d_spice_host_qxl(struct r3d_spice_host *host)
{
	return &host->qxl;
}
