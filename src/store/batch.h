/* batch.h: group commit. A batch is one transaction around several ticks,
 * for the recorder's writer thread: above 10 Hz it stores the ticks of up to
 * 100 ms in one transaction instead of one transaction per tick
 * (docs/SESSION.md, "Durability").
 *
 * Inside a batch, hr_session_begin_tick / put / commit_tick work as usual
 * but commit_tick only closes the tick; the rows become durable when the
 * batch commits. Steps, events and meta written meanwhile (from any thread)
 * join the batch's transaction. A failure rolls the whole batch back. */
#ifndef HR_STORE_BATCH_H
#define HR_STORE_BATCH_H

#include "headroom/hr_session.h"

/* Opens a batch on S (no tick and no batch open). Returns HR_OK, HR_ESTATE
 * (read-only, or a tick or batch already open), HR_ESTORE. */
hr_status hr__session_begin_batch(hr_session *s);

/* Commits the batch: every tick closed in it, and what joined it. On
 * failure the batch is rolled back (the session continues after the last
 * committed tick) and the detail is on S. Returns HR_OK, HR_ESTATE (no
 * batch open, or a tick still open in it), HR_ESTORE. */
hr_status hr__session_commit_batch(hr_session *s);

/* Rolls the open batch back, an open tick in it included; nothing when no
 * batch is open. hr_session_abort_tick inside a batch does the same. */
void hr__session_abort_batch(hr_session *s);

#endif /* HR_STORE_BATCH_H */
