/* SPDX-License-Identifier: Apache-2.0 */
/* kato_ctl: the commands that operate katod: start, stop, restart, logs,
 * status (over the control socket, or from the store when katod is
 * down) and clean. */
#ifndef KATO_CTL_H
#define KATO_CTL_H

extern const char kato_start_help[], kato_stop_help[], kato_restart_help[], kato_logs_help[],
	kato_status_help[], kato_clean_help[];
int kato_start(int argc, char **argv);
int kato_stop(int argc, char **argv);
int kato_restart(int argc, char **argv);
int kato_logs(int argc, char **argv);
int kato_status(int argc, char **argv);
int kato_clean(int argc, char **argv);

#endif
