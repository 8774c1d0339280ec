/* SPDX-License-Identifier: Apache-2.0 */
/* The kato subcommands that live outside kato.c. */
#ifndef KATO_CMDS_H
#define KATO_CMDS_H

extern const char kato_search_help[];
int kato_search(int argc, char **argv);
extern const char kato_sessions_help[];
int kato_sessions(int argc, char **argv);

#endif
