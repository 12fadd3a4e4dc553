/*
 * sys/mutex.h (FreeBSD face): mutex(9) as far as kernel threads use it.
 * Spin mutexes are sleep mutexes here: a hosted kernel has no interrupt
 * level to raise.
 */
#ifndef _KT_FREEBSD_SYS_MUTEX_H_
#define _KT_FREEBSD_SYS_MUTEX_H_

#include <kt/c/sync.h>
#include <sys/_kt_freebsd.h>

#define MTX_DEF 0x00000000
#define MTX_SPIN 0x00000001
#define MTX_RECURSE 0x00000004
#define MTX_NOWITNESS 0x00000008
#define MTX_DUPOK 0x00000020

#define MA_OWNED 0x01
#define MA_NOTOWNED 0x02

struct mtx {
  struct kt_mutex mtx_kt;
  int mtx_opts;
  int mtx_recurse;
};

__KT_FB_BEGIN
void mtx_init(struct mtx* m, const char* name, const char* type, int opts) __KT_FB(mtx_init);
void mtx_destroy(struct mtx* m) __KT_FB(mtx_destroy);
void mtx_lock(struct mtx* m) __KT_FB(mtx_lock);
void mtx_unlock(struct mtx* m) __KT_FB(mtx_unlock);
int mtx_trylock(struct mtx* m) __KT_FB(mtx_trylock);
int mtx_owned(struct mtx* m) __KT_FB(mtx_owned);
void mtx_assert(struct mtx* m, int what) __KT_FB(mtx_assert);
__KT_FB_END

#define mtx_lock_spin(m) mtx_lock(m)
#define mtx_unlock_spin(m) mtx_unlock(m)

#endif /* !_KT_FREEBSD_SYS_MUTEX_H_ */
