/* SPDX-License-Identifier: Apache-2.0 */
#include "kato/provider.h"
int nothing_here(void);
int nothing_here(void) { return 0; }
