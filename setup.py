"""Build hook: the wheel carries splatrender's own browser wheel beside the page.

Everything else is declared in pyproject.toml.
"""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithBrowserWheel(build_py):
    """After the usual copy, write the browser wheel into the built ``web/static``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install builds it on demand from the sources
        # splatrender is not importable while it is being built: load the one module
        # (standard library only) from its file.
        spec = importlib.util.spec_from_file_location(
            "_splatrender_bundle", Path(__file__).parent / "splatrender" / "web" / "bundle.py"
        )
        bundle = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bundle)
        package = Path(self.build_lib) / "splatrender"
        bundle.write_wheel(package, package / "web" / "static", self.distribution.get_version())


setup(cmdclass={"build_py": BuildPyWithBrowserWheel})
