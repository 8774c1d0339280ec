/* SPDX-License-Identifier: Apache-2.0 */
/* fingerprint: the 128-bit identity of an event (XXH3-128). */
#ifndef KATO_FINGERPRINT_H
#define KATO_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

struct fingerprint {
	uint8_t b[16]; /* big-endian high64 then low64 */
};

struct kato_event;

/* Fingerprint of an event: provider, provider session id, event id, kind,
 * index within its record and every content field, each length-prefixed
 * so no two different tuples hash the same bytes. Timestamps and byte
 * positions are left out, so re-reading a rewritten file matches. */
void fingerprint_event(const char *provider, const char *session_id,
		       const struct kato_event *ev, struct fingerprint *out);
/* XXH3-128 of arbitrary bytes. */
void fingerprint_bytes(const void *p, size_t n, struct fingerprint *out);
/* 32 lowercase hex digits + NUL. */
void fingerprint_hex(const struct fingerprint *fp, char out[33]);

#endif
