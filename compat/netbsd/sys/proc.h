/*
 * sys/proc.h (NetBSD face): where NetBSD declares kpause(9) and the LWP a
 * kernel thread is; here both come from the face's own headers, so code
 * that includes <sys/proc.h> for them compiles unchanged.
 */
#ifndef _KT_NETBSD_SYS_PROC_H_
#define _KT_NETBSD_SYS_PROC_H_

#include <sys/lwp.h>
#include <sys/mutex.h>

#endif /* !_KT_NETBSD_SYS_PROC_H_ */
