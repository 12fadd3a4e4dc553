/*
 * portdat.h (Plan 9 face) - Proc, Rendez, QLock, Label and the constants of
 * kproc(9), sleep(9), qlock(9) and error(9), as 9front's port/portdat.h
 * spells them. Only what kernel processes use is here.
 *
 * Proc lives in the kernel thread's face area (kt/c/face.h): a Proc* stays
 * readable after its process is gone, and names whatever process has the
 * slot now, as a recycled Plan 9 Proc slot does.
 */
#ifndef _KT_PLAN9_PORTDAT_H_
#define _KT_PLAN9_PORTDAT_H_

#include <kt/c/rendez.h>
#include <setjmp.h>

#include "u.h"

/* Every function and global of the face is linked as kt_plan9_<name>, so
 * Plan 9's sleep, error and wakeup never meet the C library's. */
#define __KT_P9(name) __asm__("kt_plan9_" #name)

enum {
  NNOTE = 5,     /* pending notes per process */
  ERRMAX = 128,  /* max length of an error or note string, with its NUL */
  KNAMELEN = 28, /* max length of a process name (text), with its NUL */
  NERR = 64,     /* depth of the error label stack */
};

/* postnote flags */
enum {
  NUser = 0,  /* the note comes from another process, not the system */
  NExit = 1,  /* deliver quietly */
  NDebug = 2, /* print it and leave the process Broken, for debugging */
};

/*
 * Priorities: 0..19, higher is more urgent. The core's scale is 0..255,
 * lower more urgent; Plan 9's p runs at 122 - 2p, so all of 0..19 lies in
 * the core's kernel band (64..127) and PriKproc is exactly the core's
 * default kernel priority (KT_PRI_KERNEL, 96). Priorities do not decay.
 */
enum {
  PriNormal = 10, /* user processes */
  PriKproc = 13,  /* kernel processes */
  PriRoot = 13,
  PriExtra = 19,
};

/* A label of the error stack: where waserror() was (see portfns.h). */
typedef struct Label Label;
struct Label {
  jmp_buf buf;
  uintptr sp; /* the stack pointer of the waserror() frame */
};

/* A Rendez: one process sleeps on it at a time. Valid when zeroed. */
typedef struct Rendez Rendez;
struct Rendez {
  struct kt_rendez kt;
};

/* A QLock: a sleeping lock, FIFO, handed to the next waiter. Valid when zeroed. */
typedef struct QLock QLock;
struct QLock {
  struct kt_qlock kt;
};

typedef struct Proc Proc;
struct Proc {
  ulong pid;
  char text[KNAMELEN]; /* the name, as ps shows it (cut to KNAMELEN-1 bytes) */
  char errstr[ERRMAX]; /* the last error() message */
  Rendez sleep;        /* for tsleep(&up->sleep, return0, nil, ms) */
  Label* errlab;       /* NERR labels, on the kproc's own stack */
  int nerrlab;         /* labels in use */
  /* private to the face */
  uint kt_magic;
  void* kt_private;
};

#ifdef __cplusplus
extern "C" {
#endif
/* Eintr is the error a note raises in sleep, tsleep and eqlock. */
extern char Eintr[] __KT_P9(Eintr); /* "interrupted" */
#ifdef __cplusplus
}
#endif

#endif /* _KT_PLAN9_PORTDAT_H_ */
