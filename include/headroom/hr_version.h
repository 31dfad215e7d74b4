/* hr_version.h: library version and ABI number. */
#ifndef HR_VERSION_H
#define HR_VERSION_H

#include "hr_export.h"

#define HR_VERSION_MAJOR 0
#define HR_VERSION_MINOR 1
#define HR_VERSION_PATCH 0
#define HR_VERSION_STRING "0.1.0"

/* The ABI number changes whenever a public struct layout or a signature changes
 * incompatibly. Bindings compare it with hr_abi_version() before using structs. */
#define HR_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/* Returns the library's version string, e.g. "0.1.0". Never NULL. */
HR_EXTERN const char *hr_version(void);

/* Returns HR_ABI_VERSION as the library was built. */
HR_EXTERN int hr_abi_version(void);

#ifdef __cplusplus
}
#endif

#endif /* HR_VERSION_H */
