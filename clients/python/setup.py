"""Builds the optional compiled accelerator, sextant._accel (csrc/_accel.c).

Everything else is in pyproject.toml. Without a C compiler or the Python
headers (Debian: python3-dev) the build of the extension is skipped with a
note and the SDK installs as pure Python, which is complete on its own.
"""
import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """build_ext that never fails the install: the accelerator is optional."""

    def run(self):
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 - no compiler, no headers, ...
            self._skip(e)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as e:  # noqa: BLE001
            self._skip(e)

    @staticmethod
    def _skip(e):
        sys.stderr.write(f"sextant: not building the optional accelerator ({e}); "
                         "the SDK runs as pure Python\n")


ext_modules = []
if os.environ.get("SEXTANT_PURE_PYTHON") != "1" and sys.implementation.name == "cpython":
    ext_modules.append(Extension("sextant._accel", ["csrc/_accel.c"], optional=True,
                                 extra_compile_args=["-O2"] if os.name == "posix" else []))

setup(ext_modules=ext_modules, cmdclass={"build_ext": OptionalBuildExt})
