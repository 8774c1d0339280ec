#include "kato/provider.h"
int nothing_here(void);
int nothing_here(void) { return 0; }
