/*
 * portdat.h (Plan 9 face): Proc, Rendez, QLock, Label and the constants of
 * kproc(9), sleep(9), qlock(9) and error(9).
 */
#ifndef _KT_PLAN9_PORTDAT_H_
#define _KT_PLAN9_PORTDAT_H_

#include <kt/c/face.h>
#include <kt/c/rendez.h>
#include <kt/kernel.h>
#include <setjmp.h>

#include "u.h"

enum {
  NNOTE = 5,     /* pending notes per process */
  ERRMAX = 128,  /* max length of an error or note string */
  KNAMELEN = 28, /* max length of a file name (a Proc's text has no limit) */
  NERR = 64,     /* depth of the error label stack */
};

/* postnote flags */
enum {
  NUser = 0,  /* the note comes from another process, not the system */
  NExit = 1,  /* deliver quietly */
  NDebug = 2, /* leave the process Broken, for debugging */
};

/* Priorities: higher is more urgent. */
enum {
  PriNormal = 10,
  PriKproc = 13,
  PriRoot = 13,
  PriExtra = 19,
};

typedef struct Label Label;
struct Label {
  jmp_buf buf;
  unsigned long kt_cfa; /* private: where the waserror() frame's callees begin */
};

typedef struct Rendez Rendez;
struct Rendez {
  struct kt_rendez kt; /* valid when zeroed */
};

typedef struct QLock QLock;
struct QLock {
  struct kt_qlock kt; /* valid when zeroed */
};

/* The stack of a kernel process (9front pc64 mem.h), nominal: what is
 * mapped is the kernel's default when that is larger. */
#define KSTACK ((size_t)16 * 1024)

typedef struct Proc Proc;
struct Proc {
  ulong pid;
  char* text;   /* the name kproc was given, whole (set when it first runs) */
  char* errstr; /* the last error() message: errbuf0 */
  char errbuf0[ERRMAX];
  int nerrlab;   /* labels in use */
  Label* errlab; /* NERR labels, on the kproc's own stack */
  uvlong kt;     /* private: the kthreads handle */
  /* private: error()'s unwind in progress (it must outlive the frames it
   * unwinds, so it cannot live in error()'s) */
  __attribute__((aligned(16))) unsigned char kt_unwind[KT_UNWIND_BUF];
};

#endif /* _KT_PLAN9_PORTDAT_H_ */
