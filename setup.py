"""Builds claimstats's one C extension, the text kernel; without a C compiler claimstats installs without it."""

import sys

from setuptools import Extension, setup

# No fused multiply-add: the kernel must round each product as NumPy does (the same matrices, bit for bit).
FLAGS = [] if sys.platform == "win32" else ["-ffp-contract=off"]

setup(ext_modules=[Extension("claimstats._textkernel", ["claimstats/_textkernel.c"], extra_compile_args=FLAGS,
                             optional=True)])
