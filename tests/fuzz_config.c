/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the config loader: the input is written to a temp
 * file and loaded; it must load or fail with a message, never crash.
 * Built by tests/fuzz.sh (make fuzz). */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/kato-fuzz-config-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	struct kato_config c;
	char *err = NULL;
	if (config_load(path, &c, &err) == 0)
		config_free(&c);
	else if (!err)
		abort(); /* a failure must say why */
	free(err);
	unlink(path);
	return 0;
}
