/*
 * latency-sim — pcapng writer (see pcap.h).
 */
#include "pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINKTYPE_RAW 101
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u

struct r3d_ls_pcap {
	FILE *f;
	int iface[2]; /* interface id per direction, -1 if not captured */
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static bool put_option(uint8_t *buf, size_t *off, uint16_t code,
		       const void *val, uint16_t len)
{
	memcpy(buf + *off, &code, 2);
	memcpy(buf + *off + 2, &len, 2);
	if (len) /* the end-of-options option has no value (val NULL) */
		memcpy(buf + *off + 4, val, len);
	memset(buf + *off + 4 + len, 0, pad4(len) - len);
	*off += 4 + pad4(len);
	return true;
}

/* block = type, total length, body, total length */
static bool put_block(FILE *f, uint32_t type, const uint8_t *body, size_t len)
{
	uint32_t total = (uint32_t)(12 + len);

	return fwrite(&type, 4, 1, f) == 1 && fwrite(&total, 4, 1, f) == 1 &&
	       (len == 0 || fwrite(body, len, 1, f) == 1) &&
	       fwrite(&total, 4, 1, f) == 1;
}

struct r3d_ls_pcap *r3d_ls_pcap_open(const char *path, unsigned dirs)
{
	static const char *names[2] = { "up", "down" };
	struct r3d_ls_pcap *p = calloc(1, sizeof(*p));
	uint8_t body[64];
	size_t off;
	int n = 0;

	if (!p)
		return NULL;
	p->f = fopen(path, "wbe");
	if (!p->f)
		goto err;
	/* SHB: byte-order magic, version 1.0, unknown section length */
	uint32_t bom = 0x1A2B3C4Du;
	uint16_t major = 1, minor = 0;
	int64_t section_len = -1;
	memcpy(body, &bom, 4);
	memcpy(body + 4, &major, 2);
	memcpy(body + 6, &minor, 2);
	memcpy(body + 8, &section_len, 8);
	if (!put_block(p->f, BT_SHB, body, 16))
		goto err_file;
	for (int d = 0; d < 2; d++) {
		p->iface[d] = -1;
		if (!(dirs & (1u << d)))
			continue;
		uint16_t linktype = LINKTYPE_RAW, reserved = 0;
		uint32_t snaplen = 0;
		off = 0;
		memcpy(body, &linktype, 2);
		memcpy(body + 2, &reserved, 2);
		memcpy(body + 4, &snaplen, 4);
		off = 8;
		put_option(body, &off, 2 /* if_name */, names[d],
			   (uint16_t)strlen(names[d]));
		put_option(body, &off, 0, NULL, 0);
		if (!put_block(p->f, BT_IDB, body, off))
			goto err_file;
		p->iface[d] = n++;
	}
	return p;
err_file:
	fclose(p->f);
err:
	free(p);
	return NULL;
}

static void fmt_time(char *buf, size_t len, const char *name, uint64_t mono,
		     int64_t offset)
{
	uint64_t t = (uint64_t)((int64_t)mono + offset);

	snprintf(buf, len, "%s=%llu.%06llu", name,
		 (unsigned long long)(t / 1000000),
		 (unsigned long long)(t % 1000000));
}

bool r3d_ls_pcap_write(struct r3d_ls_pcap *p, int dir,
		       const struct r3d_link_packet *pkt, int64_t wall_offset_us)
{
	uint8_t hdr[20], opts[256];
	char comment[200], a[48], b[48], c[48];
	size_t off = 0;

	if (!p || p->iface[dir] < 0)
		return true;
	fmt_time(a, sizeof(a), "enter", pkt->enter_us, wall_offset_us);
	fmt_time(b, sizeof(b), "tx", pkt->tx_start_us, wall_offset_us);
	fmt_time(c, sizeof(c), "txend", pkt->tx_end_us, wall_offset_us);
	int n = snprintf(comment, sizeof(comment), "%s %s %s delay_us=%llu", a, b,
			 c, (unsigned long long)(pkt->exit_us - pkt->enter_us));
	put_option(opts, &off, 1 /* opt_comment */, comment, (uint16_t)n);
	put_option(opts, &off, 0, NULL, 0);

	uint32_t iface = (uint32_t)p->iface[dir];
	uint64_t ts = (uint64_t)((int64_t)pkt->exit_us + wall_offset_us);
	uint32_t ts_hi = (uint32_t)(ts >> 32), ts_lo = (uint32_t)ts;
	uint32_t len = (uint32_t)pkt->len;
	memcpy(hdr, &iface, 4);
	memcpy(hdr + 4, &ts_hi, 4);
	memcpy(hdr + 8, &ts_lo, 4);
	memcpy(hdr + 12, &len, 4);
	memcpy(hdr + 16, &len, 4);

	static const uint8_t zeros[4];
	uint32_t type = BT_EPB;
	uint32_t total = (uint32_t)(12 + 20 + pad4(pkt->len) + off);
	FILE *f = p->f;
	return fwrite(&type, 4, 1, f) == 1 && fwrite(&total, 4, 1, f) == 1 &&
	       fwrite(hdr, 20, 1, f) == 1 &&
	       fwrite(pkt->data, 1, pkt->len, f) == pkt->len &&
	       fwrite(zeros, 1, pad4(pkt->len) - pkt->len, f) ==
		       pad4(pkt->len) - pkt->len &&
	       fwrite(opts, off, 1, f) == 1 && fwrite(&total, 4, 1, f) == 1;
}

void r3d_ls_pcap_close(struct r3d_ls_pcap *p)
{
	if (!p)
		return;
	fclose(p->f);
	free(p);
}
