/*
 * sys/eventhandler.h (FreeBSD face): EVENTHANDLER(9) for the shutdown
 * events. Handlers of an event run by ascending priority, in registration
 * order among equals; deregistering from inside a handler is safe.
 */
#ifndef _KT_FREEBSD_SYS_EVENTHANDLER_H_
#define _KT_FREEBSD_SYS_EVENTHANDLER_H_

#include <kt/c/startup.h>
#include <sys/_kt_freebsd.h>

#define EVENTHANDLER_PRI_FIRST 0
#define EVENTHANDLER_PRI_ANY 10000
#define EVENTHANDLER_PRI_LAST 20000
#define SHUTDOWN_PRI_FIRST EVENTHANDLER_PRI_FIRST
#define SHUTDOWN_PRI_DEFAULT EVENTHANDLER_PRI_ANY
#define SHUTDOWN_PRI_LAST EVENTHANDLER_PRI_LAST

typedef void* eventhandler_tag;
typedef void (*shutdown_fn)(void*, int);

/* The events kthreads knows, by name. */
#define __KT_FB_EVENT_shutdown_pre_sync KT_SHUTDOWN_PRE_SYNC
#define __KT_FB_EVENT_shutdown_post_sync KT_SHUTDOWN_POST_SYNC
#define __KT_FB_EVENT_shutdown_final KT_SHUTDOWN_FINAL

#define EVENTHANDLER_REGISTER(name, func, arg, priority) \
  kt_shutdown_register(__KT_FB_EVENT_##name, (shutdown_fn)(func), (void*)(arg), (priority))
#define EVENTHANDLER_DEREGISTER(name, tag) kt_shutdown_deregister(__KT_FB_EVENT_##name, (tag))

#endif /* !_KT_FREEBSD_SYS_EVENTHANDLER_H_ */
