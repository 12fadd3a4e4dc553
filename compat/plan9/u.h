/* u.h (Plan 9 face): the basic types Plan 9 kernel code uses. */
#ifndef _KT_PLAN9_U_H_
#define _KT_PLAN9_U_H_

#include <stddef.h>
#include <stdint.h>

typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;
typedef long long vlong;
typedef unsigned long long uvlong;
typedef uintptr_t uintptr;
typedef size_t usize;

#ifndef nil
#ifdef __cplusplus
#define nil nullptr
#else
#define nil ((void*)0)
#endif
#endif

#define USED(x) ((void)(x))
#define SET(x) ((void)(x))

#endif /* _KT_PLAN9_U_H_ */
