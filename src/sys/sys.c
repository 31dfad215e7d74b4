/* sys.c: the default (real) system call table. */
#include "sys/sys.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#if defined(__APPLE__)
#include <sys/sysctl.h>
#define HR__SYSCTLBYNAME sysctlbyname
#else
#define HR__SYSCTLBYNAME NULL
#endif

hr__sys_table hr__sys = {
    openat, pread, close, readlinkat, dlopen, dlsym, dlclose, HR__SYSCTLBYNAME,
};

void hr__sys_reset(void) {
    hr__sys_table fresh = {
        openat, pread, close, readlinkat, dlopen, dlsym, dlclose, HR__SYSCTLBYNAME,
    };
    hr__sys = fresh;
}
