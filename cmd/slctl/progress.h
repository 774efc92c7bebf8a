/*
 * progress.h — internal to cmd/slctl: the progress line of a long apply (progress.c).
 */
#ifndef SLCTL_PROGRESS_H
#define SLCTL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --progress: auto (when stderr is a terminal), always, never. */
enum slctl_progress_when { SLCTL_PROGRESS_AUTO, SLCTL_PROGRESS_ALWAYS, SLCTL_PROGRESS_NEVER };

struct slctl_progress {
	bool on; /* drawn at all */
	bool shown; /* a line is on the terminal now */
	bool cleared; /* taken off for another line: drawn again at the next step */
	size_t total, done, writes;
	int64_t start_ms, drawn_ms; /* monotonic */
};

/* Starts counting total objects; when decides whether a line is ever drawn. */
void slctl_progress_init(struct slctl_progress *p, enum slctl_progress_when when, size_t total);
/* One object done with writes REST writes; draws the line when it is due. */
void slctl_progress_step(struct slctl_progress *p, int writes);
/* Takes the line off the terminal (before printing anything else, and at the end). */
void slctl_progress_clear(struct slctl_progress *p);

#endif
