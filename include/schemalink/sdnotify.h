/*
 * sdnotify.h — the systemd notification protocol without libsystemd.
 *
 * Owns: sending "READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=..." datagrams to
 * $NOTIFY_SOCKET (a path, or an abstract socket name written with a leading '@'), and reading
 * the watchdog interval from $WATCHDOG_USEC / $WATCHDOG_PID. Depends on base (error) and libc.
 * Outside systemd (no $NOTIFY_SOCKET) every call is a successful no-op.
 */
#ifndef SCHEMALINK_SDNOTIFY_H
#define SCHEMALINK_SDNOTIFY_H

#include <stdint.h>

#include "schemalink/error.h"

/* Sends state (borrowed; newline-separated assignments) to $NOTIFY_SOCKET. Returns 1 when
 * sent, 0 when there is no socket to send to, or a negative code with err set. */
int sl_sd_notify(const char *state, struct sl_error *err);

/* The watchdog interval in milliseconds when systemd asked this process for keep-alives
 * ($WATCHDOG_USEC set, and $WATCHDOG_PID unset or equal to getpid()), else 0. */
int64_t sl_sd_watchdog_ms(void);

#endif
