/*
 * kt/c/startup.h - ordered start-up and shutdown.
 *
 * Start-up functions (FreeBSD SYSINIT) are registered with a subsystem and
 * an order key, typically from static initialisers; kt_boot() runs them in
 * ascending (subsystem, order) order, ties in registration order, in the
 * kernel thread "swapper" (proc0's thread: pid 0), before it returns. Functions
 * registered after boot run at once. Then the deferred-creation queue
 * (OpenBSD kthread_create_deferred) drains in registration order; a deferral
 * made while it drains, or after, runs at once.
 *
 * Shutdown handlers (FreeBSD EVENTHANDLER shutdown_pre_sync, _post_sync,
 * _final) run from kt_shutdown(), list by list, each list by ascending
 * priority and FIFO within one, in the kernel thread "shutdown".
 */
#ifndef KT_C_STARTUP_H
#define KT_C_STARTUP_H

#ifdef __cplusplus
extern "C" {
#endif

/* A start-up record; it must outlive the kernel (static storage). */
struct kt_sysinit {
  unsigned subsystem;
  unsigned order;
  void (*func)(const void* udata);
  const void* udata;
  struct kt_sysinit* kt_next; /* private */
  unsigned kt_seq;            /* private */
};

/* kt_sysinit_register() never allocates, so it is safe in static init. */
void kt_sysinit_register(struct kt_sysinit* si);
void kt_sysinit_deregister(struct kt_sysinit* si);

/* kt_defer() queues func(arg) until the system is up, or calls it now. */
void kt_defer(void (*func)(void* arg), void* arg);

enum kt_shutdown_list {
  KT_SHUTDOWN_PRE_SYNC = 0,
  KT_SHUTDOWN_POST_SYNC = 1,
  KT_SHUTDOWN_FINAL = 2,
};

/*
 * kt_shutdown_register() adds handler(arg, howto) to a list at a priority
 * (0..20000, lower first). Returns a tag for kt_shutdown_deregister, or
 * NULL for a bad list or priority. Deregistering from inside a handler is
 * safe.
 */
void* kt_shutdown_register(int list, void (*handler)(void* arg, int howto), void* arg,
                           int priority);
void kt_shutdown_deregister(int list, void* tag);

#ifdef __cplusplus
}
#endif

#endif /* KT_C_STARTUP_H */
