/* The Plan 9 part: a kproc reading packets from a queue, stopped when the
 * interface is unbound with postnote(readp, 1, "unbind", 0). */
#include <u.h>
#include <portdat.h>
#include <portfns.h>

#include <stdio.h>

#include "demo.h"

static Proc* readp;
static Rendez pktr;
static QLock pktl;
static int npkts; /* guarded by pktl */
static long packets;
static int unbound;

static int
havepkt(void* a)
{
	USED(a);
	return npkts > 0;
}

static void
etherread(void* a)
{
	USED(a);
	readp = up;
	if(waserror()){
		printf("plan9: %s: %s after %ld packets\n", up->text, up->errstr, packets);
		__atomic_store_n(&unbound, 1, __ATOMIC_RELEASE);
		pexit("", 1);
	}
	for(;;){
		qlock(&pktl);
		if(npkts == 0){
			qunlock(&pktl);
			sleep(&pktr, havepkt, nil);
			continue;
		}
		npkts--;
		qunlock(&pktl);
		__atomic_fetch_add(&packets, 1, __ATOMIC_RELAXED);
	}
}

static void
etherintr(void* a)
{
	Rendez tick = {0};
	USED(a);
	while(!__atomic_load_n(&unbound, __ATOMIC_ACQUIRE)){
		qlock(&pktl);
		npkts += 4;
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

void p9_unbind(void) {
	while(__atomic_load_n(&readp, __ATOMIC_ACQUIRE) == nil)
		;
	postnote(readp, 1, "unbind", 0);
	while(!__atomic_load_n(&unbound, __ATOMIC_ACQUIRE))
		;
}

long p9_packets(void) { return __atomic_load_n(&packets, __ATOMIC_RELAXED); }
