/*
 * sys/kernel.h (FreeBSD face): SYSINIT(9). The records are registered by a
 * constructor as the program loads, and kt_boot runs them in (subsystem,
 * order) order in the kernel thread "swapper", whose curproc is &proc0; a
 * SYSINIT of a program loaded after boot runs at once.
 */
#ifndef _KT_FREEBSD_SYS_KERNEL_H_
#define _KT_FREEBSD_SYS_KERNEL_H_

#include <kt/c/startup.h>
#include <sys/_kt_freebsd.h>

/* The subsystems and orders of FreeBSD 5.x (sys/kernel.h), by value. */
// clang-format off
enum sysinit_sub_id {
  SI_SUB_DUMMY            = 0x0000000, /* not executed; for linker */
  SI_SUB_DONE             = 0x0000001, /* processed */
  SI_SUB_TUNABLES         = 0x0700000, /* establish tunable values */
  SI_SUB_CONSOLE          = 0x0800000, /* console */
  SI_SUB_COPYRIGHT        = 0x0800001, /* first use of console */
  SI_SUB_SETTINGS         = 0x0880000, /* check and recheck settings */
  SI_SUB_MTX_POOL_STATIC  = 0x0900000, /* static mutex pool */
  SI_SUB_LOCKMGR          = 0x0980000, /* lockmgr locks */
  SI_SUB_VM               = 0x1000000, /* virtual memory system init */
  SI_SUB_KMEM             = 0x1800000, /* kernel memory */
  SI_SUB_KVM_RSRC         = 0x1A00000, /* kvm operational limits */
  SI_SUB_WITNESS          = 0x1A80000, /* witness initialization */
  SI_SUB_MTX_POOL_DYNAMIC = 0x1AC0000, /* dynamic mutex pool */
  SI_SUB_LOCK             = 0x1B00000, /* various locks */
  SI_SUB_EVENTHANDLER     = 0x1C00000, /* eventhandler init */
  SI_SUB_KLD              = 0x2000000, /* KLD and module setup */
  SI_SUB_CPU              = 0x2100000, /* CPU resource(s) */
  SI_SUB_MAC              = 0x2180000, /* TrustedBSD MAC subsystem */
  SI_SUB_MAC_POLICY       = 0x21C0000, /* TrustedBSD MAC policies */
  SI_SUB_MAC_LATE         = 0x21D0000, /* TrustedBSD MAC subsystem */
  SI_SUB_INTRINSIC        = 0x2200000, /* proc 0 */
  SI_SUB_VM_CONF          = 0x2300000, /* config VM, set limits */
  SI_SUB_RUN_QUEUE        = 0x2400000, /* set up run queue */
  SI_SUB_KTRACE           = 0x2480000, /* ktrace */
  SI_SUB_CREATE_INIT      = 0x2500000, /* create init process */
  SI_SUB_SCHED_IDLE       = 0x2600000, /* required idle procs */
  SI_SUB_MBUF             = 0x2700000, /* mbuf subsystem */
  SI_SUB_INTR             = 0x2800000, /* interrupt threads */
  SI_SUB_SOFTINTR         = 0x2800001, /* start soft interrupt thread */
  SI_SUB_DEVFS            = 0x2F00000, /* devfs ready for devices */
  SI_SUB_INIT_IF          = 0x3000000, /* prep for net interfaces */
  SI_SUB_NETGRAPH         = 0x3010000, /* let Netgraph initialize */
  SI_SUB_DRIVERS          = 0x3100000, /* let drivers initialize */
  SI_SUB_CONFIGURE        = 0x3800000, /* configure devices */
  SI_SUB_VFS              = 0x4000000, /* virtual filesystem */
  SI_SUB_CLOCKS           = 0x4800000, /* real time and stat clocks */
  SI_SUB_CLIST            = 0x5800000, /* clists */
  SI_SUB_SYSV_SHM         = 0x6400000, /* System V shared memory */
  SI_SUB_SYSV_SEM         = 0x6800000, /* System V semaphores */
  SI_SUB_SYSV_MSG         = 0x6C00000, /* System V message queues */
  SI_SUB_P1003_1B         = 0x6E00000, /* P1003.1B realtime */
  SI_SUB_PSEUDO           = 0x7000000, /* pseudo devices */
  SI_SUB_EXEC             = 0x7400000, /* execve() handlers */
  SI_SUB_PROTO_BEGIN      = 0x8000000, /* network protocols */
  SI_SUB_PROTO_IF         = 0x8400000, /* interfaces */
  SI_SUB_PROTO_DOMAIN     = 0x8800000, /* domains (address families?) */
  SI_SUB_PROTO_IFATTACHDOMAIN = 0x8800001, /* domain dependent data init */
  SI_SUB_PROTO_END        = 0x8ffffff, /* network protocols, done */
  SI_SUB_KPROF            = 0x9000000, /* kernel profiling */
  SI_SUB_KICK_SCHEDULER   = 0xa000000, /* start the timeout events */
  SI_SUB_INT_CONFIG_HOOKS = 0xa800000, /* interrupts enabled config */
  SI_SUB_ROOT_CONF        = 0xb000000, /* find root devices */
  SI_SUB_DUMP_CONF        = 0xb200000, /* find dump devices */
  SI_SUB_RAID             = 0xb380000, /* configure GEOM classes */
  SI_SUB_MOUNT_ROOT       = 0xb400000, /* root mount */
  SI_SUB_SWAP             = 0xc000000, /* swap */
  SI_SUB_INTRINSIC_POST   = 0xd000000, /* proc 0 cleanup */
  SI_SUB_KTHREAD_INIT     = 0xe000000, /* init process */
  SI_SUB_KTHREAD_PAGE     = 0xe400000, /* pageout daemon */
  SI_SUB_KTHREAD_VM       = 0xe800000, /* vm daemon */
  SI_SUB_KTHREAD_BUF      = 0xea00000, /* buffer daemon */
  SI_SUB_KTHREAD_UPDATE   = 0xec00000, /* update daemon */
  SI_SUB_KTHREAD_IDLE     = 0xee00000, /* idle procs */
  SI_SUB_SMP              = 0xf000000, /* start the APs */
  SI_SUB_RUN_SCHEDULER    = 0xfffffff  /* scheduler */
};

enum sysinit_elem_order {
  SI_ORDER_FIRST  = 0x0000000, /* first */
  SI_ORDER_SECOND = 0x0000001, /* second */
  SI_ORDER_THIRD  = 0x0000002, /* third */
  SI_ORDER_MIDDLE = 0x1000000, /* somewhere in the middle */
  SI_ORDER_ANY    = 0xfffffff  /* last */
};
// clang-format on

typedef void (*sysinit_cfunc_t)(const void*);

/*
 * SYSINIT(uniquifier, subsystem, order, func, ident) defines a start-up
 * record and a constructor that registers it. It ends in a function
 * definition, so it is written with or without a semicolon after it, as
 * FreeBSD 5's own SYSINIT (whose expansion ends in one) is: the kthread(9)
 * example and vfs_bio.c write none.
 */
#define __KT_SYSINIT_CAT(a, b) a##b
#define SYSINIT(uniquifier, subsystem, order, func, ident)                                     \
  static struct kt_sysinit __KT_SYSINIT_CAT(uniquifier, _sys_init) = {                         \
      (unsigned)(subsystem), (unsigned)(order), (sysinit_cfunc_t)(func), (ident), 0, 0};       \
  __attribute__((constructor)) static void __KT_SYSINIT_CAT(uniquifier, _sys_init_reg)(void) { \
    kt_sysinit_register(&__KT_SYSINIT_CAT(uniquifier, _sys_init));                             \
  }

#endif /* !_KT_FREEBSD_SYS_KERNEL_H_ */
