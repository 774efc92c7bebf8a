/* progress.c — the progress line of a long slctl apply (docs/internals/manifests.md §3): on
 * stderr, drawn once the apply has run for a second; taken off before every line the apply
 * prints and drawn again after it (else redrawn at most four times a second); cleared at the
 * end. A terminal keeps the results scrolling above one line that says how far it got. */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "schemalink/clock.h"

#define FIRST_MS 1000
#define EVERY_MS 250

void slctl_progress_init(struct slctl_progress *p, enum slctl_progress_when when, size_t total)
{
	p->on = when == SLCTL_PROGRESS_ALWAYS ||
	        (when == SLCTL_PROGRESS_AUTO && isatty(STDERR_FILENO));
	p->total = total;
	p->done = 0;
	p->writes = 0;
	p->shown = p->cleared = false;
	p->start_ms = sl_clock_mono_ms(sl_clock_system());
	p->drawn_ms = 0;
}

void slctl_progress_clear(struct slctl_progress *p)
{
	if (!p->shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->shown = false;
	p->cleared = true;
}

void slctl_progress_step(struct slctl_progress *p, int writes)
{
	int64_t now, ms;
	double rate;

	p->done++;
	p->writes += writes > 0 ? (size_t)writes : 0;
	if (!p->on)
		return;
	now = sl_clock_mono_ms(sl_clock_system());
	ms = now - p->start_ms;
	if (ms < FIRST_MS || p->done >= p->total ||
	        (!p->cleared && p->drawn_ms && now - p->drawn_ms < EVERY_MS))
		return;
	rate = (double)p->done / (double)ms; /* objects per ms */
	fprintf(stderr, "\r\033[Kapplying: %zu/%zu objects (%zu%%), %zu write%s, %.0f s", p->done,
	        p->total, p->done * 100 / p->total, p->writes, p->writes == 1 ? "" : "s",
	        (double)ms / 1000.0);
	if (rate > 0)
		fprintf(stderr, ", about %.0f s left",
		        (double)(p->total - p->done) / rate / 1000.0 + 0.5);
	fflush(stderr);
	p->shown = true;
	p->cleared = false;
	p->drawn_ms = now;
}
