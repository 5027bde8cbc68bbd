#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static double nearest_rank(const double *sorted, size_t n, double p)
{
	size_t k = (size_t)ceil(p / 100.0 * (double)n);
	if (k < 1)
		k = 1;
	return sorted[k - 1];
}

void r3d_dist_compute(struct r3d_dist *d, double *v, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->n = n;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	d->min = v[0];
	d->max = v[n - 1];
	d->mean = sum / (double)n;
	d->p50 = nearest_rank(v, n, 50);
	d->p95 = nearest_rank(v, n, 95);
	d->p99 = nearest_rank(v, n, 99);
}

bool r3d_report_compute(struct r3d_client_report *r, const struct r3d_frame_rec *recs, size_t n)
{
	r->frames = r->stamps ? n : r->display_updates;
	r->missing = r->non_increasing = 0;
	r->fps = r->bitrate_kbps = 0;
	memset(&r->latency, 0, sizeof(r->latency));
	memset(r->stage, 0, sizeof(r->stage));
	memset(&r->to_client, 0, sizeof(r->to_client));
	/* over the whole window, so that bursts and stalls count */
	if (r->seconds > 0) {
		r->fps = (double)r->frames / r->seconds;
		r->bitrate_kbps = (double)r->bytes * 8.0 / r->seconds / 1000.0;
	}
	if (n == 0 || !r->stamps)
		return true;

	double *lat = malloc(n * sizeof(*lat));
	uint32_t *nums = malloc(n * sizeof(*nums));
	if (!lat || !nums) {
		free(lat);
		free(nums);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		lat[i] = ((double)recs[i].display_us - (double)recs[i].stamp_us) / 1000.0;
		nums[i] = recs[i].frame;
		if (i > 0 && recs[i].frame <= recs[i - 1].frame)
			r->non_increasing++;
	}
	r3d_dist_compute(&r->latency, lat, n);
	for (int k = 0; k <= R3D_STAGES; k++) {
		int from = k < R3D_STAGES ? k : R3D_PT_STAMP, to = k < R3D_STAGES ? k + 1 : R3D_PT_IN;
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			const uint64_t *at = recs[i].at;
			if (!at[from] || !at[to])
				continue;
			lat[m++] = at[to] > at[from] ? (double)(at[to] - at[from]) / 1000.0 : 0;
		}
		r3d_dist_compute(k < R3D_STAGES ? &r->stage[k] : &r->to_client, lat, m);
	}

	/* missing = numbers in [min, max] never shown */
	qsort(nums, n, sizeof(*nums), cmp_u32);
	size_t distinct = 1;
	for (size_t i = 1; i < n; i++)
		distinct += nums[i] != nums[i - 1];
	r->first_frame = recs[0].frame;
	r->last_frame = recs[n - 1].frame;
	r->missing = (uint64_t)nums[n - 1] - nums[0] + 1 - distinct;
	free(lat);
	free(nums);
	return true;
}

static void print_dist(FILE *f, const char *name, const struct r3d_dist *d)
{
	if (d->n == 0) {
		fprintf(f, "%-18s n/a\n", name);
		return;
	}
	fprintf(f, "%-18s p50 %.1f  p95 %.1f  p99 %.1f  max %.1f  min %.1f ms (n=%zu)\n",
		name, d->p50, d->p95, d->p99, d->max, d->min, d->n);
}

void r3d_report_print_text(const struct r3d_client_report *r, FILE *f)
{
	const struct r3d_decoder_info *dec = &r->dec;
	fprintf(f, "remote3d-client report for %s\n", r->uri);
	fprintf(f, "%-18s %s (decoder %s, %" PRIu64 " access units, %" PRIu64 " keyframes, first %s)\n",
		"codec", dec->codec[0] ? dec->codec : "none (no video stream)",
		dec->decoder[0] ? dec->decoder : "?", dec->access_units, dec->keyframes,
		dec->access_units ? (dec->first_is_keyframe ? "keyframe" : "NOT a keyframe") : "-");
	if (dec->access_units)
		fprintf(f, "%-18s %s\n", "parser", dec->aligned
			? "told each frame is one access unit (alignment=au)"
			: "as stock spice-gtk (waits for the next frame's start)");
	fprintf(f, "%-18s %dx%d\n", "surface", r->width, r->height);
	if (r->stamps) {
		fprintf(f, "%-18s yes (remote3d frame stamps in the picture)\n", "stamps");
		fprintf(f, "%-18s %" PRIu64 " in %.2f s (stamps %u..%u, %" PRIu64 " missing, %" PRIu64
			" out of order; %" PRIu64 " updates, %" PRIu64 " unstamped)\n",
			"frames", r->frames, r->seconds, r->first_frame, r->last_frame, r->missing,
			r->non_increasing, r->updates, r->unstamped);
	} else {
		fprintf(f, "%-18s no (frames are display updates; no stamp latency)\n", "stamps");
		fprintf(f, "%-18s %" PRIu64 " display updates in %.2f s\n", "frames", r->frames,
			r->seconds);
	}
	fprintf(f, "%-18s %.2f\n", "fps", r->fps);
	fprintf(f, "%-18s %.0f kbit/s (%" PRIu64 " bytes)\n", "bitrate", r->bitrate_kbps, r->bytes);
	fprintf(f, "%-18s %.1f ms\n", "first picture after", r->time_to_first_picture_ms);
	if (r->stamps) {
		fprintf(f, "%-18s %.1f ms\n", "first frame after", r->time_to_first_frame_ms);
		print_dist(f, "latency", &r->latency);
	}
	if (r->stamps && r->to_client.n) {
		fprintf(f, "%-18s p50 / p95 ms per stage%s\n", "stages",
			r->source_joined ? "" : " (source stages: --source-frames)");
		if (r->source_joined)
			fprintf(f, "%-18s %" PRIu64 " of %" PRIu64 " frames\n", "  source matched",
				r->source_matched, r->frames);
		for (int k = 0; k < R3D_STAGES; k++) {
			const struct r3d_dist *d = &r->stage[k];
			if (d->n)
				fprintf(f, "  %-16s %7.2f %7.2f   %s\n", r3d_stage_info[k].name, d->p50,
					d->p95, r3d_stage_info[k].what);
			if (k == R3D_PT_FIRST_CLIENT - 1 && !r->stage[k].n)
				fprintf(f, "  %-16s %7.2f %7.2f   stamp -> spice-gtk has the message\n",
					"source+network", r->to_client.p50, r->to_client.p95);
		}
	}
	if (r->quality)
		fprintf(f, "%-18s %zu frames: PSNR-Y mean %.2f p5 %.2f dB, SSIM-Y mean %.4f p5 %.4f\n",
			"quality", r->quality_n, r->psnr_mean, r->psnr_p5, r->ssim_mean, r->ssim_p5);
	if (r->keys_sent)
		print_dist(f, "input-to-photon", &r->input_to_photon);
	if (r->typed) {
		print_dist(f, "key-to-glyph", &r->key_to_glyph);
		fprintf(f, "%-18s %" PRIu64 " typed, %zu answered, %" PRIu64 " missed\n", "keys",
			r->keys_typed, r->key_to_glyph.n, r->keys_missed);
	}
}

static void json_dist(FILE *f, const char *name, const struct r3d_dist *d, const char *sep)
{
	fprintf(f, "  \"%s\": {\"n\": %zu, \"min\": %.3f, \"mean\": %.3f, \"p50\": %.3f, "
		"\"p95\": %.3f, \"p99\": %.3f, \"max\": %.3f}%s\n",
		name, d->n, d->min, d->mean, d->p50, d->p95, d->p99, d->max, sep);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

bool r3d_report_write_json(const struct r3d_client_report *r, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f)
		return false;
	const struct r3d_decoder_info *dec = &r->dec;
	fprintf(f, "{\n  \"uri\": ");
	json_string(f, r->uri);
	fprintf(f, ",\n  \"codec\": ");
	json_string(f, dec->codec);
	fprintf(f, ",\n  \"stream_caps\": ");
	json_string(f, dec->caps);
	fprintf(f, ",\n  \"decoder\": ");
	json_string(f, dec->decoder);
	fprintf(f, ",\n  \"access_units\": %" PRIu64 ",\n  \"keyframes\": %" PRIu64
		",\n  \"first_access_unit_keyframe\": %s,\n  \"streams\": %u,\n"
		"  \"parser_aligned\": %s,\n",
		dec->access_units, dec->keyframes, dec->first_is_keyframe ? "true" : "false",
		dec->streams, dec->aligned ? "true" : "false");
	fprintf(f, "  \"width\": %d,\n  \"height\": %d,\n", r->width, r->height);
	fprintf(f, "  \"stamps\": %s,\n  \"display_updates\": %" PRIu64
		",\n  \"time_to_first_picture_ms\": %.1f,\n", r->stamps ? "true" : "false",
		r->display_updates, r->time_to_first_picture_ms);
	fprintf(f, "  \"frames\": %" PRIu64 ",\n  \"first_frame\": %u,\n  \"last_frame\": %u,\n"
		"  \"missing\": %" PRIu64 ",\n  \"non_increasing\": %" PRIu64 ",\n"
		"  \"updates\": %" PRIu64 ",\n  \"unstamped\": %" PRIu64 ",\n",
		r->frames, r->first_frame, r->last_frame, r->missing, r->non_increasing,
		r->updates, r->unstamped);
	fprintf(f, "  \"seconds\": %.3f,\n  \"fps\": %.3f,\n  \"bytes\": %" PRIu64
		",\n  \"bitrate_kbps\": %.1f,\n  \"time_to_first_frame_ms\": %.1f,\n",
		r->seconds, r->fps, r->bytes, r->bitrate_kbps, r->time_to_first_frame_ms);
	fprintf(f, "  \"keys_sent\": %" PRIu64 ",\n", r->keys_sent);
	json_dist(f, "input_to_photon_ms", &r->input_to_photon, ",");
	fprintf(f, "  \"keys_typed\": %" PRIu64 ",\n  \"keys_missed\": %" PRIu64 ",\n",
		r->keys_typed, r->keys_missed);
	json_dist(f, "key_to_glyph_ms", &r->key_to_glyph, ",");
	fprintf(f, "  \"source_frames\": %s,\n  \"source_matched\": %" PRIu64 ",\n",
		r->source_joined ? "true" : "false", r->source_matched);
	json_dist(f, "to_client_ms", &r->to_client, ",");
	fprintf(f, "  \"quality\": {\"frames\": %zu, \"psnr_y_mean\": %.3f, \"psnr_y_p5\": %.3f, "
		"\"ssim_y_mean\": %.5f, \"ssim_y_p5\": %.5f},\n", r->quality_n, r->psnr_mean,
		r->psnr_p5, r->ssim_mean, r->ssim_p5);
	fprintf(f, "  \"stages_ms\": {\n");
	for (int k = 0; k < R3D_STAGES; k++) {
		fprintf(f, "  ");
		json_dist(f, r3d_stage_info[k].name, &r->stage[k], k + 1 < R3D_STAGES ? "," : "");
	}
	fprintf(f, "  },\n");
	json_dist(f, "latency_ms", &r->latency, "");
	fprintf(f, "}\n");
	bool ok = !ferror(f);
	if (f != stdout)
		ok = (fclose(f) == 0) && ok;
	else
		fflush(f);
	return ok;
}

bool r3d_report_write_csv(const struct r3d_frame_rec *recs, size_t n, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	/* the points between stamp and display: 0 = not known */
	fprintf(f, "frame,stamp_us,display_us,latency_us");
	for (int k = R3D_PT_STAMP + 1; k < R3D_PT_DISPLAY; k++)
		fprintf(f, ",%s_us", r3d_point_name[k]);
	fputs(",psnr_y,ssim_y\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%u,%" PRIu64 ",%" PRIu64 ",%" PRId64, recs[i].frame, recs[i].stamp_us,
			recs[i].display_us, (int64_t)(recs[i].display_us - recs[i].stamp_us));
		for (int k = R3D_PT_STAMP + 1; k < R3D_PT_DISPLAY; k++)
			fprintf(f, ",%" PRIu64, recs[i].at[k]);
		if (isnan(recs[i].psnr_y))
			fputs(",,\n", f);
		else
			fprintf(f, ",%.3f,%.5f\n", recs[i].psnr_y, recs[i].ssim_y);
	}
	bool ok = !ferror(f);
	return (fclose(f) == 0) && ok;
}
