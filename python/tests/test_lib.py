"""Loading, ABI and layout checks, the error hierarchy, string conversion."""

import ctypes as C
import os
import unittest
from pathlib import Path

import support
from support import headroom

from headroom import _errors, _lib
from headroom import _types as T


class StructSizes(unittest.TestCase):
    def test_every_mirror_matches_hr_struct_size(self):
        L = _lib.lib()
        for mirror in T.MIRRORS:
            with self.subTest(struct=mirror._cname_):
                want = L.hr_struct_size(_lib.enc(mirror._cname_))
                self.assertGreater(want, 0, "the library does not know %s" % mirror._cname_)
                self.assertEqual(C.sizeof(mirror), want)

    def test_every_struct_the_library_lists_is_mirrored(self):
        L = _lib.lib()
        listed = {L.hr_struct_name(i) for i in range(L.hr_struct_count())}
        mirrored = {m._cname_ for m in T.MIRRORS}
        self.assertEqual(listed - mirrored, set())
        self.assertEqual(L.hr_struct_name(L.hr_struct_count()), "")  # NULL -> ""

    def test_unknown_struct_is_zero(self):
        self.assertEqual(_lib.lib().hr_struct_size(b"hr_no_such_struct"), 0)
        self.assertEqual(_lib.lib().hr_struct_size(None), 0)

    def test_reading_layout_is_value_why_err(self):
        # Offsets, not only sizes: a Reading known with value 42.
        self.assertEqual(T.Reading.v.offset, 0)
        self.assertEqual(T.Reading.why.offset, 8)
        self.assertEqual(T.Reading.err.offset, 12)


class Loading(unittest.TestCase):
    def test_abi_and_version(self):
        L = _lib.lib()
        self.assertEqual(L.hr_abi_version(), _lib.ABI_VERSION)
        self.assertRegex(headroom.library_version(), r"^\d+\.\d+\.\d+$")
        self.assertTrue(os.path.exists(headroom.library_path()))

    def test_every_prototype_has_argtypes_and_restype(self):
        L = _lib.lib()
        for name, (restype, argtypes) in _lib.PROTOTYPES.items():
            with self.subTest(fn=name):
                fn = getattr(L, name)
                self.assertEqual(list(fn.argtypes), list(argtypes))
                if restype is _lib.TEXT:
                    self.assertIs(fn.restype, C.c_char_p)
                    self.assertIsNotNone(fn.errcheck)
                else:
                    self.assertIs(fn.restype, restype)

    def test_unprototyped_function_is_refused(self):
        with self.assertRaises(AttributeError):
            _lib.lib().hr_probe_refresh_everything

    def test_headroom_lib_wins_and_is_the_only_candidate(self):
        with support.environ(HEADROOM_LIB="/x/libheadroom.so.0"):
            self.assertEqual(_lib.candidates(), ["/x/libheadroom.so.0"])
        with support.environ(HEADROOM_LIB=None):
            found = _lib.candidates()
            self.assertEqual(found[-1], _lib.SONAME)
            tree = _lib.source_tree_library()
            if tree:
                self.assertEqual(found[0], tree)
                self.assertEqual(Path(tree).parent.name, "build")

    def test_missing_library_is_no_library_with_detail(self):
        r = support.run_python(
            "import headroom\n"
            "try:\n"
            "    headroom.probe()\n"
            "except headroom.HeadroomError_NoLibrary as e:\n"
            "    print('status', e.status, e.name)\n"
            "    print('detail', e.detail)\n",
            HEADROOM_LIB="/nonexistent/libheadroom.so.0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("status 5 HR_ENOLIB", r.stdout)
        self.assertIn("/nonexistent/libheadroom.so.0", r.stdout)
        self.assertIn("HEADROOM_LIB", r.stdout)

    def test_step_works_without_the_library(self):
        r_fd, w_fd = os.pipe()
        self.addCleanup(os.close, r_fd)
        code = ("import headroom\n"
                "print(headroom.step(3, units=2, loss=0.5))\n")
        import subprocess
        proc = subprocess.run([support.PYTHON, "-c", code], capture_output=True, text=True,
                              timeout=30, pass_fds=(w_fd,),
                              env=support.child_env(HEADROOM_LIB="/nonexistent/lib.so",
                                                    HEADROOM_STEP_FD=str(w_fd)))
        os.close(w_fd)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "run")
        self.assertEqual(os.read(r_fd, 4096), b"step=3 units=2.0 loss=0.5\n")

    def test_wrong_library_is_refused(self):
        # libc is a shared library without the hr_ API: refused, not half-used.
        r = support.run_python(
            "import headroom\n"
            "try:\n"
            "    headroom.library_version()\n"
            "except headroom.HeadroomError_NotSupported as e:\n"
            "    print('refused', e.detail[:200])\n",
            HEADROOM_LIB="libc.so.6")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("refused libc.so.6 does not match this binding: libc.so.6 lacks hr_",
                      r.stdout)


class Errors(unittest.TestCase):
    def test_one_class_per_status_from_the_c_table(self):
        L = _lib.lib()
        code = 1
        while L.hr_status_name(code) != "HR_UNKNOWN":
            cls = headroom.error_class(code)
            with self.subTest(code=code):
                self.assertTrue(issubclass(cls, headroom.HeadroomError))
                self.assertEqual(cls.status, code)
                self.assertEqual(cls.name, L.hr_status_name(code))
                self.assertEqual(cls.text, L.hr_strerror(code))
                self.assertTrue(cls.__name__.startswith("HeadroomError_"))
                self.assertIs(getattr(headroom, cls.__name__), cls)
            code += 1
        self.assertGreaterEqual(code, 16)
        self.assertIs(headroom.error_class(code), headroom.HeadroomError)

    def test_named_classes(self):
        self.assertEqual(headroom.HeadroomError_NoLibrary.name, "HR_ENOLIB")
        self.assertEqual(headroom.HeadroomError_NotSupported.name, "HR_ENOTSUP")
        self.assertTrue(issubclass(headroom.HeadroomError_InvalidArgument, ValueError))
        self.assertTrue(issubclass(headroom.HeadroomError_NoMemory, MemoryError))

    def test_error_carries_the_context_detail(self):
        with self.assertRaises(headroom.HeadroomError_InvalidArgument) as cm:
            headroom.probe(root="/nonexistent/headroom-root")
        e = cm.exception
        self.assertEqual(e.status, 1)
        self.assertIn("/nonexistent/headroom-root", e.detail)
        self.assertIn(e.detail, str(e))
        self.assertTrue(str(e).startswith("HR_EINVAL: invalid argument: "))

    def test_unknown_status_still_raises(self):
        e = _errors.make_error(200, "later code")
        self.assertIsInstance(e, headroom.HeadroomError)
        self.assertEqual(e.status, 200)
        self.assertEqual(e.detail, "later code")

    def test_new_library_codes_get_classes(self):
        names = {0: "HR_OK"}
        names.update({i: n for i, (n, _, _) in enumerate(_errors._KNOWN)})
        future = len(_errors._KNOWN)
        names[future] = "HR_EFUTURE"

        def forget():
            cls = _errors._by_code.pop(future, None)
            if cls is not None:
                vars(_errors).pop(cls.__name__, None)
        self.addCleanup(forget)
        problems = _errors.sync(lambda c: names.get(c, "HR_UNKNOWN"), lambda c: "text %d" % c)
        self.assertEqual(problems, [])
        cls = headroom.error_class(len(_errors._KNOWN))
        self.assertEqual(cls.__name__, "HeadroomError_Efuture")
        self.assertEqual(cls.text, "text %d" % len(_errors._KNOWN))
        # Restore the real texts.
        _errors.sync(_lib.lib().hr_status_name, _lib.lib().hr_strerror)

    def test_renumbered_code_is_reported(self):
        problems = _errors.sync(lambda c: {0: "HR_OK", 1: "HR_ENOMEM"}.get(c, "HR_UNKNOWN"),
                                str)
        self.assertEqual(len(problems), 1)
        self.assertIn("status 1 is HR_ENOMEM in the library, HR_EINVAL in the binding",
                      problems[0])


class Strings(unittest.TestCase):
    def test_enc_dec(self):
        self.assertIsNone(_lib.enc(None))
        self.assertEqual(_lib.enc("é"), "é".encode())
        self.assertEqual(_lib.enc(Path("/a/b")), b"/a/b")
        self.assertEqual(_lib.enc(b"raw"), b"raw")
        self.assertEqual(_lib.dec(None), "")
        self.assertEqual(_lib.dec(b"abc\0junk"), "abc")
        self.assertEqual(_lib.dec(b"\xff"), "\ufffd")
        # An undecodable path byte survives the round trip into C.
        self.assertEqual(_lib.enc(os.fsdecode(b"/tmp/\xff")), b"/tmp/\xff")


if __name__ == "__main__":
    unittest.main()
