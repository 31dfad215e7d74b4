/* hr_binding.h: facts about the library's own layout, for language bindings.
 *
 * A binding that mirrors the public structs (the Python package in python/
 * mirrors them with ctypes) asks the library how large each struct is as
 * the library was built, and refuses to run when its mirror differs: a
 * layout mismatch then fails loudly at load time instead of reading wrong
 * numbers later. */
#ifndef HR_BINDING_H
#define HR_BINDING_H

#include <stddef.h>

#include "hr_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Returns sizeof the public struct named NAME as the library was built
 * (NAME is the C type name, e.g. "hr_reading", "hr_probe",
 * "hr_plan_diffusion_result"), or 0 when NAME is NULL or not a public
 * struct of this library. Thread-safe; no allocation. */
HR_EXTERN size_t hr_struct_size(const char *name);

/* The number of struct names hr_struct_size knows, and the I-th of them
 * (0-based; NULL when I is out of range), so that a binding can list the
 * structs it does not mirror. The strings are static. */
HR_EXTERN size_t hr_struct_count(void);
HR_EXTERN const char *hr_struct_name(size_t i);

#ifdef __cplusplus
}
#endif

#endif /* HR_BINDING_H */
