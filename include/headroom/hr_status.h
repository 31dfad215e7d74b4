/* hr_status.h: status codes returned by every fallible libheadroom call.
 *
 * Numbers are forever: a code is never renumbered or reused. New codes are
 * appended before HR_STATUS_LAST. Each code has a section in docs/ERRORS.md. */
#ifndef HR_STATUS_H
#define HR_STATUS_H

#include "hr_export.h"

#define HR_STATUS_MAP(X)                                                                           \
    X(HR_OK, 0, "success")                                                                         \
    X(HR_EINVAL, 1, "invalid argument")                                                            \
    X(HR_ENOMEM, 2, "out of memory")                                                               \
    X(HR_ENOTSUP, 3, "not supported on this platform or device")                                   \
    X(HR_ENODEV, 4, "no such device")                                                              \
    X(HR_ENOLIB, 5, "vendor library not found")                                                    \
    X(HR_ESYMBOL, 6, "vendor library too old (missing symbol)")                                    \
    X(HR_EPERM, 7, "permission denied")                                                            \
    X(HR_EIO, 8, "input/output error")                                                             \
    X(HR_EPARSE, 9, "unexpected content")                                                          \
    X(HR_EDRIVER, 10, "vendor driver call failed")                                                 \
    X(HR_ESTORE, 11, "session store error")                                                        \
    X(HR_EBUSY, 12, "resource busy")                                                               \
    X(HR_ETIMEDOUT, 13, "timed out")                                                               \
    X(HR_ESTATE, 14, "call made in the wrong state")                                               \
    X(HR_ENOENT, 15, "no such file or entry")

typedef enum hr_status {
#define HR__STATUS_ENUM(name, num, text) name = num,
    HR_STATUS_MAP(HR__STATUS_ENUM)
#undef HR__STATUS_ENUM
        HR_STATUS_LAST
} hr_status;

#ifdef __cplusplus
extern "C" {
#endif

/* Returns the code's name, e.g. "HR_ENOLIB", or "HR_UNKNOWN" for a number
 * outside the table. Never NULL; the string is static. */
HR_EXTERN const char *hr_status_name(int status);

/* Returns a one-line description of the code. Never NULL; static. */
HR_EXTERN const char *hr_strerror(int status);

#ifdef __cplusplus
}
#endif

#endif /* HR_STATUS_H */
