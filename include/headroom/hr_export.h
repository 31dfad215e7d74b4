/* hr_export.h: symbol visibility for libheadroom's public API. */
#ifndef HR_EXPORT_H
#define HR_EXPORT_H

#if defined(HR_BUILDING_LIBRARY) && defined(__GNUC__)
#define HR_EXTERN __attribute__((visibility("default")))
#else
#define HR_EXTERN
#endif

#endif /* HR_EXPORT_H */
