#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"

const struct r3d_stage_info r3d_stage_info[R3D_STAGES] = {
	[R3D_PT_STAMP] = { "render", "the source renders the frame", 0x8c8c8c },
	[R3D_PT_MARKED] = { "wait", "marked -> readback starts (pacing, busy encoder or link)", 0xc7c7c7 },
	[R3D_PT_EXTRACT_START] = { "extract", "readback to CPU memory", 0x2ca02c },
	[R3D_PT_EXTRACTED] = { "queue", "waits for the encoder thread", 0x98df8a },
	[R3D_PT_ENCODE_START] = { "encode", "convert + encode to an access unit", 0xd62728 },
	[R3D_PT_ENCODED] = { "handoff", "to spice-server", 0xff9896 },
	[R3D_PT_HANDED] = { "send", "spice-server writes it to the socket", 0x9467bd },
	[R3D_PT_WRITTEN] = { "network", "socket -> spice-gtk has the whole message", 0x1f77b4 },
	[R3D_PT_IN] = { "parse", "h264parse", 0xbcbd22 },
	[R3D_PT_PARSED] = { "decode", "the video decoder", 0xff7f0e },
	[R3D_PT_DECODED] = { "convert", "playbin's conversion to BGRx", 0xffbb78 },
	[R3D_PT_CONVERTED] = { "present", "spice-gtk schedules and copies it to the surface", 0x17becf },
};

const char *const r3d_point_name[R3D_PT_COUNT] = {
	"stamp", "marked", "extract_start", "extracted", "encode_start", "encoded", "handed",
	"written", "in", "parsed", "decoded", "converted", "display",
};

/* source points as stored: R3D_PT_MARKED .. R3D_PT_WRITTEN */
#define SOURCE_POINTS (R3D_PT_WRITTEN - R3D_PT_MARKED + 1)

struct source_frame {
	uint32_t frame;
	uint64_t stamp_us;
	uint64_t at[SOURCE_POINTS];
};

struct r3d_source_frames {
	struct source_frame *v;
	size_t n;
};

static const char HEADER[] = "frame,stamp_us,marked_us,extract_start_us,extracted_us,"
			     "encode_start_us,encoded_us,handed_us,written_us,bytes,keyframe";

static int cmp_frame(const void *a, const void *b)
{
	const struct source_frame *x = a, *y = b;
	if (x->frame != y->frame)
		return (x->frame > y->frame) - (x->frame < y->frame);
	return (x->stamp_us > y->stamp_us) - (x->stamp_us < y->stamp_us);
}

static char *whyf(const char *path, const char *what)
{
	char *s = NULL;
	if (asprintf(&s, "--source-frames %s: %s", path, what) < 0)
		return NULL;
	return s;
}

struct r3d_source_frames *r3d_source_frames_load(const char *path, char **why)
{
	FILE *f = fopen(path, "r");
	char line[512];
	struct r3d_source_frames *sf = NULL;
	size_t cap = 0;

	*why = NULL;
	if (!f) {
		*why = whyf(path, strerror(errno));
		return NULL;
	}
	if (!fgets(line, sizeof(line), f) || strncmp(line, HEADER, strlen(HEADER)) != 0) {
		*why = whyf(path, "not a remote3d-testsrc --frames-csv file (its first line differs)");
		fclose(f);
		return NULL;
	}
	sf = calloc(1, sizeof(*sf));
	while (sf && fgets(line, sizeof(line), f)) {
		struct source_frame r;
		unsigned long long v[SOURCE_POINTS + 1];
		int used = 0;
		size_t len = strlen(line);

		if (len == 0 || line[len - 1] != '\n')
			break; /* the writer's last, incomplete line */
		if (sscanf(line, "%" SCNu32 ",%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%n", &r.frame,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &used) != 9 ||
		    used == 0)
			continue;
		r.stamp_us = v[0];
		for (int k = 0; k < SOURCE_POINTS; k++)
			r.at[k] = v[k + 1];
		if (sf->n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct source_frame *nv = realloc(sf->v, ncap * sizeof(*nv));
			if (!nv)
				break;
			sf->v = nv;
			cap = ncap;
		}
		sf->v[sf->n++] = r;
	}
	bool bad = ferror(f);
	fclose(f);
	if (!sf || bad) {
		*why = whyf(path, sf ? "read error" : "out of memory");
		r3d_source_frames_free(sf);
		return NULL;
	}
	qsort(sf->v, sf->n, sizeof(*sf->v), cmp_frame);
	return sf;
}

void r3d_source_frames_free(struct r3d_source_frames *sf)
{
	if (!sf)
		return;
	free(sf->v);
	free(sf);
}

bool r3d_source_frames_fill(const struct r3d_source_frames *sf, uint32_t frame, uint64_t stamp_us,
			    uint64_t at[R3D_PT_COUNT])
{
	const struct source_frame key = { .frame = frame, .stamp_us = stamp_us };
	const struct source_frame *r = sf ? bsearch(&key, sf->v, sf->n, sizeof(*sf->v), cmp_frame) : NULL;

	if (!r)
		return false;
	for (int k = 0; k < SOURCE_POINTS; k++)
		at[R3D_PT_MARKED + k] = r->at[k];
	return true;
}
