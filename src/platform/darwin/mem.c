/* mem.c: memory on macOS. Totals, swap and pressure come from sysctl
 * (hr__apple_mem_read); available memory from host_statistics64 page counts
 * with the rule in hr__apple_available_bytes (free incl. speculative +
 * file-backed + purgeable pages). The counts are in kernel pages, so they are
 * scaled by vm_kernel_page_size (16 KiB on Apple Silicon, also under Rosetta). */
#include <mach/mach.h>
#include <mach/mach_host.h>
#include <mach/vm_page_size.h>
#include <mach/vm_statistics.h>
#include <stdlib.h>

#include "core/apple.h"
#include "platform/darwin/darwin.h"

struct hr__dw_mem {
    mach_port_t host;
};

/* available_bytes from HOST_VM_INFO64; unknown with the kern_return on failure. */
static hr_reading read_available(mach_port_t host, hr_reading total) {
    vm_statistics64_data_t vm;
    mach_msg_type_number_t count = HOST_VM_INFO64_COUNT;
    kern_return_t kr = host_statistics64(host, HOST_VM_INFO64, (host_info64_t)&vm, &count);
    if (kr != KERN_SUCCESS)
        return hr__unknown(HR_WHY_DRIVER_ERROR, kr);
    hr__apple_vm_pages pages = {
        vm.free_count,          vm.speculative_count, vm.inactive_count,
        vm.external_page_count, vm.purgeable_count,
    };
    return hr__apple_available_bytes(&pages, (int64_t)vm_kernel_page_size, total);
}

static void read_all(struct hr__dw_mem *st, hr_probe *p) {
    hr__apple_mem_read(&p->mem);
    p->mem.available_bytes = read_available(st->host, p->mem.total_bytes);
}

hr_status hr__dw_mem_open(hr_probe *p, struct hr__dw_mem **out) {
    *out = NULL;
    struct hr__dw_mem *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    st->host = mach_host_self();
    read_all(st, p);
    const hr_mem_info *m = &p->mem;
    int ok = HR_IS_KNOWN(m->total_bytes) && HR_IS_KNOWN(m->available_bytes);
    hr__probe_report(
        p, "vm", ok ? HR_SOURCE_ANSWERED : HR_SOURCE_PARTIAL,
        ok ? HR_WHY_KNOWN
           : (hr_why)(HR_IS_KNOWN(m->total_bytes) ? m->available_bytes.why : m->total_bytes.why),
        "hw.memsize, host_statistics64, vm.swapusage, memorystatus sysctls");
    *out = st;
    return HR_OK;
}

void hr__dw_mem_refresh(struct hr__dw_mem *st, hr_probe *p) {
    if (st)
        read_all(st, p);
}

void hr__dw_mem_close(struct hr__dw_mem *st, hr_probe *p) {
    (void)p;
    if (!st)
        return;
    if (st->host != MACH_PORT_NULL)
        mach_port_deallocate(mach_task_self(), st->host);
    free(st);
}
