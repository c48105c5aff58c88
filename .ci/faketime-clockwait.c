/* Timed waits on the monotonic clock under libfaketime 0.9.10 (Debian 12's), for .ci/run's pass under faketime.
 *
 * libfaketime fakes CLOCK_MONOTONIC, but 0.9.10 does not intercept sem_clockwait() and pthread_cond_clockwait(),
 * which glibc 2.30+ programs use for a timed wait on that clock (CPython 3.11: every Lock.acquire(timeout=...),
 * hence Event.wait(timeout), Condition.wait(timeout), queue.get(timeout=...), Thread.join(timeout)). The
 * deadline, computed on the faked clock, reaches the kernel unchanged: a wait meant to last 0.5 s lasts until
 * the real monotonic clock catches up with the faked one, years later. libfaketime's own git (after 0.9.10,
 * wolfcw/libfaketime#390) intercepts sem_clockwait; this does the same for both calls, for this libfaketime.
 *
 * Preloaded together with libfaketime (LD_PRELOAD=…/faketime-clockwait.so faketime …): the deadline is turned
 * back into "this much from now" on the faked clock and waited for on the kernel's clock. In a process that
 * libfaketime leaves on real time (FAKETIME_SKIP_CMDS) both clocks agree and nothing changes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void real_deadline(clockid_t clock, const struct timespec *faked, struct timespec *real)
{
  struct timespec faked_now, real_now;
  clock_gettime(clock, &faked_now);             /* libfaketime's answer */
  syscall(SYS_clock_gettime, clock, &real_now); /* the kernel's */
  long long left = (long long)(faked->tv_sec - faked_now.tv_sec) * 1000000000LL + (faked->tv_nsec - faked_now.tv_nsec);
  if (left < 0)
    left = 0;
  long long end = (long long)real_now.tv_nsec + left % 1000000000LL;
  real->tv_sec = real_now.tv_sec + left / 1000000000LL + end / 1000000000LL;
  real->tv_nsec = end % 1000000000LL;
}

int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime)
{
  static int (*next)(sem_t *, clockid_t, const struct timespec *);
  struct timespec real;
  if (!next)
    next = dlsym(RTLD_NEXT, "sem_clockwait");
  real_deadline(clock, abstime, &real);
  return next(sem, clock, &real);
}

int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
                           const struct timespec *abstime)
{
  static int (*next)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
  struct timespec real;
  if (!next)
    next = dlsym(RTLD_NEXT, "pthread_cond_clockwait");
  real_deadline(clock, abstime, &real);
  return next(cond, mutex, clock, &real);
}
