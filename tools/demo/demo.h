/* The demo kernel's parts, one per face, each in the face's own C. */
#ifndef KT_DEMO_H
#define KT_DEMO_H

#ifdef __cplusplus
extern "C" {
#endif

/* FreeBSD: the buffer daemon of the manual page, started by SYSINIT. */
long fb_flushes(void);

/* OpenBSD: a driver that defers its thread until the system is up. */
void ob_attach(void);
void ob_detach(void);
long ob_interrupts(void);

/* NetBSD: a pool of MUSTJOIN workers, one bound to each vCPU. */
void nb_start(void);
void nb_stop(void);
long nb_done(void);

/* Plan 9: a kproc reading packets until postnote "unbind". */
void p9_start(void);
void p9_unbind(void);
long p9_packets(void);

/* AIX: a worker made by thread_create, started on a data block. */
void aix_start(void);
long aix_stop(long* rounds); /* stops the worker, waits, returns its sum */

#ifdef __cplusplus
}
#endif

#endif
