"""HeadroomError and one subclass per libheadroom status code.

The status table lives in C (HR_STATUS_MAP in hr_status.h): numbers are
forever and new codes are appended. This module names the codes the
binding was written against so that errors can be raised before the
library is loaded (HeadroomError_NoLibrary when it cannot be found);
_lib.load() then walks the library's own table (hr_status_name and
hr_strerror for 0, 1, 2, ... until "HR_UNKNOWN"), checks every name, takes
the library's texts, and generates a class for any code added since.

Every error carries:
  status  the code (int)
  name    its C name, e.g. "HR_ENOLIB"
  text    the library's one-line description, e.g. "vendor library not found"
  detail  the library's detail for this failure (the context's, session's
          or planner's message: which file, which errno, which input), or ""
"""

# C name -> Python suffix, for the codes known when the binding was written.
_KNOWN = [
    ("HR_OK", "Ok", "success"),
    ("HR_EINVAL", "InvalidArgument", "invalid argument"),
    ("HR_ENOMEM", "NoMemory", "out of memory"),
    ("HR_ENOTSUP", "NotSupported", "not supported on this platform or device"),
    ("HR_ENODEV", "NoDevice", "no such device"),
    ("HR_ENOLIB", "NoLibrary", "vendor library not found"),
    ("HR_ESYMBOL", "SymbolMissing", "vendor library too old (missing symbol)"),
    ("HR_EPERM", "PermissionDenied", "permission denied"),
    ("HR_EIO", "IOError", "input/output error"),
    ("HR_EPARSE", "Parse", "unexpected content"),
    ("HR_EDRIVER", "Driver", "vendor driver call failed"),
    ("HR_ESTORE", "Store", "session store error"),
    ("HR_EBUSY", "Busy", "resource busy"),
    ("HR_ETIMEDOUT", "TimedOut", "timed out"),
    ("HR_ESTATE", "WrongState", "call made in the wrong state"),
    ("HR_ENOENT", "NotFound", "no such file or entry"),
]

# Python exceptions that a code also is, so that `except ValueError` works.
_ALSO = {"HR_EINVAL": (ValueError,), "HR_ENOMEM": (MemoryError,)}


class HeadroomError(Exception):
    """A libheadroom call failed. See the module docstring for the fields."""

    status = -1
    name = "HR_UNKNOWN"
    text = "unknown status"

    def __init__(self, detail="", status=None):
        if status is not None and status != type(self).status:
            self.status = status
        self.detail = detail or ""
        super().__init__(self.__str__())

    def __str__(self):
        head = "%s: %s" % (self.name, self.text)
        return "%s: %s" % (head, self.detail) if self.detail else head


_by_code = {}


def _make(code, name, suffix, text):
    bases = (HeadroomError,) + _ALSO.get(name, ())
    cls = type("HeadroomError_" + suffix, bases,
               {"status": code, "name": name, "text": text, "__module__": "headroom"})
    cls.__doc__ = "libheadroom status %s (%d): %s." % (name, code, text)
    _by_code[code] = cls
    globals()[cls.__name__] = cls
    return cls


for _code, (_name, _suffix, _text) in enumerate(_KNOWN):
    if _code:
        _make(_code, _name, _suffix, _text)


def _suffix_for(name):
    """A class suffix for a code added to the library after this binding:
    HR_EFOO -> "Efoo"."""
    core = name[3:] if name.startswith("HR_") else name
    return core[:1].upper() + core[1:].lower()


def sync(status_name, strerror):
    """Walks the library's status table with the two C functions (int ->
    str). Returns a list of mismatches (a code whose name differs from the
    one this binding knows: the binding then cannot trust that code); adds
    classes for new codes and takes the library's texts."""
    problems = []
    for code in range(256):
        name = status_name(code)
        if name == "HR_UNKNOWN":
            break
        text = strerror(code)
        if code < len(_KNOWN):
            if _KNOWN[code][0] != name:
                problems.append("status %d is %s in the library, %s in the binding"
                                % (code, name, _KNOWN[code][0]))
            elif code in _by_code:
                _by_code[code].text = text
            continue
        _make(code, name, _suffix_for(name), text)
    return problems


def error_class(status):
    """The HeadroomError subclass for STATUS (HeadroomError itself for a
    number outside the table)."""
    return _by_code.get(status, HeadroomError)


def make_error(status, detail=""):
    """An exception instance for STATUS with DETAIL."""
    cls = _by_code.get(status)
    if cls is None:
        return HeadroomError(detail, status=status)
    return cls(detail)


def all_classes():
    """Every generated subclass, by status code."""
    return dict(_by_code)
