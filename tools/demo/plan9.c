/* The Plan 9 part: a kproc reading packets from a queue, stopped when the
 * interface is unbound with postnote(readp, 1, "unbind", 0). */
#include <portdat.h>
#include <portfns.h>
#include <stdio.h>
#include <time.h>
#include <u.h>

#include "demo.h"

static Proc* readp;
static Rendez pktr;
static QLock pktl;
static int npkts; /* changed under pktl; havepkt reads it without (atomics) */
static long packets;
static int unbound;

/* Called by sleep under the Rendez's lock, not under pktl: Plan 9
 * conditions peek, and a C program says so with an atomic load. */
static int havepkt(void* a) {
  USED(a);
  return __atomic_load_n(&npkts, __ATOMIC_ACQUIRE) > 0;
}

static void etherread(void* a) {
  USED(a);
  __atomic_store_n(&readp, up, __ATOMIC_RELEASE);
  if (waserror()) {
    printf("plan9: %s: %s after %ld packets\n", up->text, up->errstr, packets);
    __atomic_store_n(&unbound, 1, __ATOMIC_RELEASE);
    pexit("", 1);
  }
  for (;;) {
    qlock(&pktl);
    if (npkts == 0) {
      qunlock(&pktl);
      sleep(&pktr, havepkt, nil);
      continue;
    }
    __atomic_store_n(&npkts, npkts - 1, __ATOMIC_RELEASE);
    qunlock(&pktl);
    __atomic_fetch_add(&packets, 1, __ATOMIC_RELAXED);
  }
}

static void etherintr(void* a) {
  Rendez tick = {0};
  USED(a);
  while (!__atomic_load_n(&unbound, __ATOMIC_ACQUIRE)) {
    qlock(&pktl);
    __atomic_store_n(&npkts, npkts + 4, __ATOMIC_RELEASE);
    qunlock(&pktl);
    wakeup(&pktr);
    tsleep(&tick, return0, nil, 5);
  }
  pexit("", 1);
}

void p9_start(void) {
  kproc("ether0read", etherread, nil);
  kproc("ether0intr", etherintr, nil);
}

/* From the host thread: it cannot sleep on a Rendez, so it naps while it
 * waits for the reader to be up, and then to be gone. */
static void nap(void) {
  struct timespec ms = {0, 1000000};
  nanosleep(&ms, nil);
}

void p9_unbind(void) {
  while (__atomic_load_n(&readp, __ATOMIC_ACQUIRE) == nil) nap();
  postnote(readp, 1, "unbind", 0);
  while (!__atomic_load_n(&unbound, __ATOMIC_ACQUIRE)) nap();
}

long p9_packets(void) { return __atomic_load_n(&packets, __ATOMIC_RELAXED); }
