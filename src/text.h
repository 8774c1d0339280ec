/* SPDX-License-Identifier: Apache-2.0 */
/* text: UTF-8 and JavaScript-compatible string helpers. */
#ifndef KATO_TEXT_H
#define KATO_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Decode one UTF-8 code point at s[0..n). Returns its length in bytes
 * (1..4) and stores the code point in *cp, or returns 0 for an invalid or
 * truncated sequence (overlongs and surrogates are invalid). */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Append the UTF-8 encoding of cp. */
void utf8_encode(struct buf *b, uint32_t cp);
/* Append s[0..n) with every invalid sequence, and every NUL byte (text
 * files must not hold one), replaced by U+FFFD. */
void utf8_sanitize(struct buf *b, const char *s, size_t n);
bool utf8_valid(const char *s, size_t n);

/* Is cp whitespace for JavaScript's String.prototype.trim? */
bool js_is_space(uint32_t cp);
/* Find the JS-trimmed part of s[0..n): sets *start and returns its length. */
size_t js_trim(const char *s, size_t n, size_t *start);
/* Length of s[0..n) in UTF-16 code units (JavaScript's .length). */
size_t utf16_length(const char *s, size_t n);

#endif
