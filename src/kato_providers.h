/* SPDX-License-Identifier: Apache-2.0 */
/* kato providers: list the provider plugins and the ones that failed. */
#ifndef KATO_PROVIDERS_H
#define KATO_PROVIDERS_H

extern const char providers_help[];
/* The fix for a reason plugin_load gave (never NULL). */
const char *providers_fix(const char *reason);
/* `kato providers [--json]`: 0, or 1 when a plugin failed to load. */
int cmd_providers(int argc, char **argv);

#endif
