/*
 * sys/kernel.h (FreeBSD face): SYSINIT(9). The records are registered by a
 * constructor as the program loads, and kt_boot runs them in (subsystem,
 * order) order in a kernel thread; a SYSINIT of a program loaded after boot
 * runs at once.
 */
#ifndef _KT_FREEBSD_SYS_KERNEL_H_
#define _KT_FREEBSD_SYS_KERNEL_H_

#include <sys/_kt_freebsd.h>

#include <kt/c/startup.h>

enum sysinit_sub_id {
  SI_SUB_DUMMY = 0x0000000,
  SI_SUB_DONE = 0x0000001,
  SI_SUB_TUNABLES = 0x0700000,
  SI_SUB_CONSOLE = 0x0800000,
  SI_SUB_COPYRIGHT = 0x0800001,
  SI_SUB_VM = 0x1000000,
  SI_SUB_KMEM = 0x1800000,
  SI_SUB_LOCK = 0x1b00000,
  SI_SUB_EVENTHANDLER = 0x1c00000,
  SI_SUB_KLD = 0x2000000,
  SI_SUB_CPU = 0x2100000,
  SI_SUB_INTRINSIC = 0xc000000,
  SI_SUB_DRIVERS = 0x3100000,
  SI_SUB_CONFIGURE = 0x3800000,
  SI_SUB_ROOT_CONF = 0xb000000,
  SI_SUB_KTHREAD_INIT = 0xe000000,
  SI_SUB_KTHREAD_PAGE = 0xe400000,
  SI_SUB_KTHREAD_VM = 0xe800000,
  SI_SUB_KTHREAD_BUF = 0xea00000,
  SI_SUB_KTHREAD_UPDATE = 0xec00000,
  SI_SUB_KTHREAD_IDLE = 0xee00000,
  SI_SUB_SMP = 0xf000000,
  SI_SUB_RUN_SCHEDULER = 0xfffffff
};

enum sysinit_elem_order {
  SI_ORDER_FIRST = 0x0000000,
  SI_ORDER_SECOND = 0x0000001,
  SI_ORDER_THIRD = 0x0000002,
  SI_ORDER_MIDDLE = 0x1000000,
  SI_ORDER_ANY = 0xfffffff
};

typedef void (*sysinit_cfunc_t)(const void*);

#define __KT_SYSINIT_CAT(a, b) a##b
#define SYSINIT(uniquifier, subsystem, order, func, ident)                                  \
  static struct kt_sysinit __KT_SYSINIT_CAT(uniquifier, _sys_init) = {                      \
      (unsigned)(subsystem), (unsigned)(order), (sysinit_cfunc_t)(func), (ident), 0, 0};    \
  __attribute__((constructor)) static void __KT_SYSINIT_CAT(uniquifier, _sys_init_reg)(void) { \
    kt_sysinit_register(&__KT_SYSINIT_CAT(uniquifier, _sys_init));                           \
  }                                                                                          \
  struct __KT_SYSINIT_CAT(uniquifier, _sys_init_semicolon)

#endif /* !_KT_FREEBSD_SYS_KERNEL_H_ */
