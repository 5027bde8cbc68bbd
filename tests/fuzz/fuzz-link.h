/*
 * remote3d fuzz targets — a parsed latency-sim link configuration put to
 * work: packets through r3d_link on a fake clock, with the link's promises
 * checked (link.h).
 */
#ifndef REMOTE3D_TESTS_FUZZ_FUZZ_LINK_H
#define REMOTE3D_TESTS_FUZZ_FUZZ_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "link.h"

/* Creates a link from cfg (aborts when it refuses a configuration the
 * parser accepted), sends one packet per byte of sizes (its length
 * derived from the byte, at most 24 packets, 1 ms apart), drains it by
 * stepping to each deadline, and aborts when a packet's times are out of
 * order, a packet leaves ahead of an earlier one without --reorder, or
 * the packets in and out (delivered + dropped + lost) do not add up. */
void fuzz_link_drive(const struct r3d_link_config *cfg, const uint8_t *sizes, size_t n);

#endif
