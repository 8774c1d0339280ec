/* SPDX-License-Identifier: Apache-2.0 */
/* kato doctor and kato init (src/kato_doctor.c): the commands and their
 * --help text, for kato's command table. */
#ifndef KATO_DOCTOR_H
#define KATO_DOCTOR_H

extern const char doctor_help[];
extern const char init_help[];
int cmd_doctor(int argc, char **argv);
int cmd_init(int argc, char **argv);

#endif
