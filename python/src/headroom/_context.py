"""An hr_ctx owned by Python: where files are read from, which NVML is
loaded, and the detail of its latest failure."""

import ctypes as C

from ._lib import check, enc, lib


class Context:
    """One hr_ctx. ROOT reads ROOT/sys, ROOT/proc instead of the live ones
    (fixture trees, a container's view); NVML_LIBRARY loads NVML from that
    path. Without them the library's defaults apply (HEADROOM_ROOT and
    HEADROOM_NVML_LIBRARY in the environment, else the live machine)."""

    def __init__(self, root=None, nvml_library=None):
        self._lib = lib()
        handle = C.c_void_p()
        check(self._lib.hr_ctx_new(C.byref(handle)), "hr_ctx_new")
        self.handle = handle
        try:
            if root is not None:
                check(self._lib.hr_ctx_set_root(handle, enc(root)), self.last_error)
            if nvml_library is not None:
                check(self._lib.hr_ctx_set_nvml_library(handle, enc(nvml_library)),
                      self.last_error)
        except BaseException:
            self.close()
            raise

    def last_error(self):
        """The detail of the latest failure on this context ("" if none)."""
        if not self.handle:
            return ""
        return self._lib.hr_ctx_last_error(self.handle)

    @property
    def root(self):
        return self._lib.hr_ctx_root(self.handle)

    def close(self):
        if self.handle:
            self._lib.hr_ctx_free(self.handle)
            self.handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
