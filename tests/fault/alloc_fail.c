/* Allocation-failure injection for whole commands, as SQLite tests it
 * (issue 12 item 11): an LD_PRELOAD library that makes the N-th allocation
 * made by rollmat's own code fail (malloc, calloc and realloc called from
 * the main executable; HDF5's, jansson's and libc's own allocations are not
 * counted: their failure handling is theirs).
 *
 *   RM_ALLOC_FAIL_AT=N      fail the N-th counted allocation (0: none)
 *   RM_ALLOC_FAIL_REPORT=F  at exit, write "ALLOCS OUTSTANDING" to F: the
 *                           allocations counted, and how many of them were
 *                           never freed
 *
 * Works on a build without AddressSanitizer (ASan links its own malloc into
 * the executable, ahead of any preloaded one). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

static uintptr_t exe_lo, exe_hi; /* the main executable's code */
static long fail_at;
static long counted;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Pointers handed out to our code and not yet freed (open addressing). */
#define TABLE (1 << 20)
static uintptr_t *live;
static long outstanding;

/* dlsym may call calloc before real_calloc is known: served from here. */
static char bootstrap[4096];
static size_t bootstrap_used;

static int find_exe(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
            if (!exe_lo || lo < exe_lo)
                exe_lo = lo;
            if (lo + ph->p_memsz > exe_hi)
                exe_hi = lo + ph->p_memsz;
        }
    }
    return 1; /* the first object is the executable */
}

/* Other libraries' constructors may allocate before ours runs: the real
 * functions are looked up on first use (dlsym's own calloc is served from
 * the bootstrap buffer meanwhile). */
static void resolve(void)
{
    static bool resolving;
    if (real_free || resolving)
        return;
    resolving = true;
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_free = dlsym(RTLD_NEXT, "free");
    resolving = false;
}

__attribute__((constructor)) static void init(void)
{
    resolve();
    dl_iterate_phdr(find_exe, NULL);
    const char *at = getenv("RM_ALLOC_FAIL_AT");
    fail_at = at ? atol(at) : 0;
    live = real_calloc(TABLE, sizeof(*live));
}

static bool ours(const void *caller)
{
    return live && (uintptr_t)caller >= exe_lo && (uintptr_t)caller < exe_hi;
}

static size_t slot(uintptr_t p)
{
    return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull >> 44) & (TABLE - 1);
}

static void track(void *p)
{
    if (!p)
        return;
    for (size_t i = slot((uintptr_t)p);; i = (i + 1) & (TABLE - 1))
        if (live[i] == 0 || live[i] == 1) {
            live[i] = (uintptr_t)p;
            outstanding++;
            return;
        }
}

static void untrack(void *p)
{
    if (!p || !live)
        return;
    for (size_t i = slot((uintptr_t)p); live[i]; i = (i + 1) & (TABLE - 1))
        if (live[i] == (uintptr_t)p) {
            live[i] = 1; /* a tombstone keeps later probes going */
            outstanding--;
            return;
        }
}

/* Counts an allocation from our code; true when it must fail. */
static bool inject(const void *caller)
{
    if (!ours(caller))
        return false;
    pthread_mutex_lock(&lock);
    bool fail = ++counted == fail_at;
    pthread_mutex_unlock(&lock);
    if (fail)
        errno = ENOMEM;
    return fail;
}

static void *tracked(void *p, const void *caller)
{
    if (p && ours(caller)) {
        pthread_mutex_lock(&lock);
        track(p);
        pthread_mutex_unlock(&lock);
    }
    return p;
}

void *malloc(size_t n)
{
    const void *caller = __builtin_return_address(0);
    resolve();
    if (!real_malloc)
        return calloc(1, n);
    if (inject(caller))
        return NULL;
    return tracked(real_malloc(n), caller);
}

void *calloc(size_t a, size_t b)
{
    const void *caller = __builtin_return_address(0);
    resolve();
    if (!real_calloc) {
        size_t n = (a * b + 15) & ~(size_t)15;
        if (bootstrap_used + n > sizeof(bootstrap))
            return NULL;
        void *p = bootstrap + bootstrap_used;
        bootstrap_used += n;
        return p; /* zeroed: static storage */
    }
    if (inject(caller))
        return NULL;
    return tracked(real_calloc(a, b), caller);
}

void *realloc(void *p, size_t n)
{
    const void *caller = __builtin_return_address(0);
    resolve();
    if (inject(caller))
        return NULL;
    void *q = real_realloc(p, n);
    if (q && live) {
        pthread_mutex_lock(&lock);
        untrack(p);
        pthread_mutex_unlock(&lock);
        tracked(q, caller);
    }
    return q;
}

void free(void *p)
{
    if ((char *)p >= bootstrap && (char *)p < bootstrap + sizeof(bootstrap))
        return;
    resolve();
    if (p && live) {
        pthread_mutex_lock(&lock);
        untrack(p);
        pthread_mutex_unlock(&lock);
    }
    real_free(p);
}

__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("RM_ALLOC_FAIL_REPORT");
    if (!path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    char line[64];
    int n = snprintf(line, sizeof(line), "%ld %ld\n", counted, outstanding);
    if (n > 0 && write(fd, line, (size_t)n) < 0)
        n = 0;
    close(fd);
}
