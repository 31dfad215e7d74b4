/* headroom.h: umbrella header for libheadroom. */
#ifndef HEADROOM_H
#define HEADROOM_H

#include "hr_binding.h"
#include "hr_export.h"
#include "hr_exporter.h"
#include "hr_govern.h"
#include "hr_plan.h"
#include "hr_probe.h"
#include "hr_record.h"
#include "hr_report.h"
#include "hr_rle.h"
#include "hr_run.h"
#include "hr_session.h"
#include "hr_status.h"
#include "hr_version.h"

#endif /* HEADROOM_H */
